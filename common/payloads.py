"""The payload of every message kind, as a model (issue "kit", item 6).

``PAYLOADS`` names each kind's model. The consumer validates a message's
payload against it before the handler runs (``typed_payload``, called from
``common/bus/consumer.py``); the failure is pydantic's ``ValidationError``
about the message's own values, which ``common.errors.classify`` makes
permanent: the message is dead-lettered on its first attempt, with a reason
naming the field. Handlers read typed fields through
``envelope.payload_as(Model)``, which returns the instance the consumer
parsed.

Producers build payloads through these models and send ``.wire()``: only the
fields the producer set, so the wire format is what it was when payloads
were dicts (a task with no options is still ``{}``).

Every model is strict about types (a string is not a number, a number is not
an id, a tuple is not a list): a payload is JSON, so its types are known
exactly. Unknown keys are decided per model, in its ``model_config``.
``write`` and ``written`` keep ``WriteCommand`` and ``WriteOutcome``
(``common/messages.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from common.messages import Envelope, Kind, WriteCommand, WriteOutcome

# What asked for a read: the default, a webhook, the matcher's re-read of a
# record seen twice in one second, the replay of a dead letter.
FetchSource = Literal["fetch", "webhook", "recheck", "replay"]
# What read a changed record: a fetch (and what asked for it), a poll, a
# backfill.
ChangeSource = Literal["fetch", "webhook", "recheck", "replay", "poll", "backfill"]
# The commands the matcher carries out (services/matcher/commands.py).
Action = Literal["force_sync", "sweep"]


def _iso_time(value: Any) -> Any:
    """An ISO-8601 date or date-time string (what the producers have always
    sent, ``2000-01-01`` included), or a datetime from a Python producer.
    Not a number: a Unix time is not a format any producer used."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value
    raise ValueError("expected an ISO-8601 date or date-time string")


def _utc(value: datetime) -> datetime:
    """Without an offset a time is UTC (as the gateways read it before)."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


IsoTime = Annotated[datetime, BeforeValidator(_iso_time), AfterValidator(_utc)]
RecordId = Annotated[str, Field(min_length=1)]


class Payload(BaseModel):
    """Base of the payload models: frozen, strict types."""

    model_config = ConfigDict(frozen=True, strict=True)

    def wire(self) -> dict[str, Any]:
        """The payload as it travels: JSON values, only the fields set."""
        return self.model_dump(mode="json", exclude_unset=True)


class ChangePayload(Payload):
    """``change.<system>.<entity>``: a record as its gateway read it.

    ``record`` is the canonical record as JSON (``{}`` for a deletion); its
    type depends on the envelope's system and entity, so it is validated by
    ``Envelope.record()``, where the matcher reads it (a failure there is
    permanent too: the values are the message's own). ``forced`` is carried
    over from the fetch that read it; the matcher keeps "forced" on its
    mirror entry, so nothing reads it today.
    """

    # Unknown keys ignored: changes come from both gateways, deployed apart
    # from the matcher; a key a newer gateway adds must not dead-letter every
    # change in a matcher that does not know it yet.
    model_config = ConfigDict(extra="ignore")

    record: dict[str, Any] = Field(default_factory=dict)
    source: ChangeSource | None = None
    forced: bool = False


class FetchPayload(Payload):
    """``fetch.<system>.<entity>``: read these records (``ids``, plus the
    envelope's ``external_id``) and publish their changes. ``source`` says
    who asked and is passed on to the changes."""

    # Unknown keys ignored: fetches come from both gateways' webhooks, the
    # matcher and replayed dead letters (stored bodies), deployed apart from
    # the gateway that reads them; nothing but these fields changes what a
    # fetch does, so a key a producer adds must not stop a read.
    model_config = ConfigDict(extra="ignore")

    ids: list[RecordId] = Field(default_factory=list)
    source: FetchSource = "fetch"
    forced: bool = False


class PollPayload(Payload):
    """``poll.<system>.<entity|*>``: read what changed since the watermark.

    ``since``: where a first poll starts when the entity has no watermark
    yet (the crm-gateway; without it polling starts from now, history being
    the backfill's job). The scheduler's polls carry nothing.
    """

    # Unknown keys ignored: polls are the scheduler's ticks, sent again every
    # interval; refusing one for a key it does not know would stop polling a
    # tenant until a person acts, and nothing but ``since`` changes a poll.
    model_config = ConfigDict(extra="ignore")

    since: IsoTime | None = None


class BackfillPayload(Payload):
    """``backfill.<system>.<entity|*>``: read history, one page per message
    (the position is the run's cursor in the store, not in the message).

    ``since``: records changed from then on (None: the crm-gateway reads all
    of them, the qbo-gateway from 2000-01-01). ``run_id``: the run the pages
    belong to (None: the message's correlation id).
    """

    # Unknown keys refused: a backfill is asked for by a person (syncctl,
    # ``make run``) and its follow-up pages carry the same payload; an option
    # the gateway does not know, silently ignored, would read another range
    # of history than asked. A dead letter names the key and can be replayed
    # once the gateway knows it.
    model_config = ConfigDict(extra="forbid")

    since: IsoTime | None = None
    run_id: str | None = Field(default=None, min_length=1)


class CommandPayload(Payload):
    """``command.<system>.<entity|*>``: an operator's or the scheduler's
    request to the matcher (services/matcher/commands.py).

    ``force_sync`` needs the envelope's entity and external_id. ``sweep``
    (entity ``*``) takes ``refetch_after`` and ``resend_after`` (seconds;
    None: the defaults in services/matcher/sweep.py).
    """

    # Unknown keys refused: a command carries what a person (or the
    # scheduler) chose; a misspelt option ignored would run the command
    # otherwise than asked, and say nothing.
    model_config = ConfigDict(extra="forbid")

    action: Action
    refetch_after: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    resend_after: float | None = Field(default=None, ge=0, allow_inf_nan=False)


PAYLOADS: Mapping[Kind, type[BaseModel]] = {
    "change": ChangePayload,
    "write": WriteCommand,
    "written": WriteOutcome,
    "poll": PollPayload,
    "backfill": BackfillPayload,
    "fetch": FetchPayload,
    "command": CommandPayload,
}


def typed_payload(envelope: Envelope) -> BaseModel:
    """The envelope's payload as its kind's model (kept on the envelope, so
    the handler's ``payload_as`` does not parse it again); raises pydantic's
    ``ValidationError`` when it does not fit."""
    return envelope.payload_as(PAYLOADS[envelope.kind])
