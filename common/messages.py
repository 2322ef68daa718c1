"""The envelope every message travels in (DESIGN §3) and the typed payloads.

Routing key: ``<kind>.<system>.<entity>``, e.g. ``change.crm.contact``.
Events are past tense (a change happened, a write was done); commands are
imperative (write, poll, backfill, fetch). The payload of each kind is a
model: ``WriteCommand`` and ``WriteOutcome`` here, the others in
``common/payloads.py`` (``PAYLOADS`` names them all); read one with
``Envelope.payload_as``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from common.entities import RECORD_TYPE, System, validate_entity
from common.records import CanonicalRecord

Kind = Literal["change", "write", "written", "poll", "backfill", "fetch", "command"]
# "bulk": work a backfill caused (its changes, their writes, outcomes,
# markers and echoes); it has queues of its own, and its API calls yield to
# live ones, so a person's edit is never stuck behind a tenant's history.
Lane = Literal["live", "bulk"]
BULK_PREFIX = "bulk."
M = TypeVar("M", bound=BaseModel)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Version(BaseModel):
    """A source's own version of a record.

    QBO: SyncToken (``sequence``) + MetaData.LastUpdatedTime; Zoho:
    Modified_Time only. ``sequence`` wins when both sides have one, because
    QBO's LastUpdatedTime has one-second resolution and SyncToken never
    goes backwards.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    updated_at: AwareDatetime
    sequence: int | None = None

    @field_validator("updated_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def order_key(self) -> tuple[int, datetime]:
        return (self.sequence if self.sequence is not None else -1, self.updated_at)

    def is_older_than(self, other: Version) -> bool:
        return self.order_key() < other.order_key()


class _Parsed:
    """A payload parsed into its model, kept beside the envelope carrying it.

    Not a field: never on the wire, and equal to any other ``_Parsed``, so
    two envelopes still compare by their fields only. It holds for the
    payload dict it was parsed from (checked by identity): a copy of the
    envelope with another payload parses its own.
    """

    __slots__ = ("model", "source")

    def __init__(
        self, source: dict[str, Any] | None = None, model: BaseModel | None = None
    ) -> None:
        self.source = source
        self.model = model

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Parsed)


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    kind: Kind
    tenant: str = Field(min_length=1, max_length=64)
    system: System
    entity: str
    external_id: str | None = None
    version: Version | None = None
    deleted: bool = False
    causation_id: uuid.UUID | None = None
    correlation_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    attempt: int = Field(default=1, ge=1)
    payload: dict[str, Any] = Field(default_factory=dict)
    lane: Lane = "live"  # inherited by what this message causes
    _parsed: _Parsed = PrivateAttr(default_factory=_Parsed)

    @field_validator("entity")
    @classmethod
    def _known_entity(cls, value: str, info: Any) -> str:
        system = info.data.get("system")
        if system is not None and value != "*":
            validate_entity(system, value)
        return value

    @property
    def routing_key(self) -> str:
        """``<kind>.<system>.<entity>``; in the bulk lane
        ``bulk.<kind>.<system>.<entity>.<tenant>`` (a tenant's bulk writes
        have a queue of their own: ``common/bus/topology.py``)."""
        key = f"{self.kind}.{self.system}.{self.entity}"
        if self.lane == "bulk":
            return f"{BULK_PREFIX}{key}.{self.tenant}"
        return key

    def record(self) -> CanonicalRecord:
        """The payload parsed as the canonical record of this entity."""
        record_type = RECORD_TYPE[(self.system, self.entity)]
        return record_type.model_validate(self.payload.get("record", self.payload))

    def payload_as(self, model: type[M]) -> M:
        """The payload as ``model`` (``common.payloads.PAYLOADS`` names each
        kind's). Parsed once per envelope: the consumer validates the payload
        before the handler runs, and the handler's call returns that same
        instance. Raises pydantic's ``ValidationError``, which
        ``common.errors.classify`` makes permanent (the invalid values are the
        message's own). The payload dict is not to be changed in place."""
        parsed = self._parsed
        if (
            parsed.source is self.payload
            and isinstance(parsed.model, model)
            and type(parsed.model) is model
        ):
            return parsed.model
        typed = model.model_validate(self.payload)
        self._parsed = _Parsed(self.payload, typed)
        return typed

    def caused(self, key: str | None = None, **changes: Any) -> Envelope:
        """A new message caused by this one, in the same correlation.

        With ``key`` the new id is derived from this message's id and the key,
        so a handler run twice on a redelivery emits the same ids and the
        receivers' inboxes drop the second copy.
        """
        new_id = uuid.uuid5(self.event_id, key) if key is not None else uuid.uuid4()
        fields = {
            "event_id": new_id,
            "causation_id": self.event_id,
            "correlation_id": self.correlation_id,
            "occurred_at": utcnow(),
            "attempt": 1,
        }
        fields.update(changes)
        return self.model_copy(update=fields)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> Envelope:
        return cls.model_validate_json(body)


class WriteCommand(BaseModel):
    """Payload of ``write.<system>.<entity>``: make the target match ``record``.

    ``external_id`` None means create. ``fields`` lists the canonical fields
    that changed (a sparse update); empty means all of them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    record: dict[str, Any]
    idempotency_key: str = Field(min_length=1, max_length=50)
    fields: tuple[str, ...] = ()
    match_key: str | None = None  # re-checked against the live API before a create
    alt_match_key: str | None = None  # re-checked when match_key finds nothing
    base_sequence: int | None = None  # the SyncToken the matcher last saw
    markers: dict[str, str | None] = Field(default_factory=dict)  # CRM status fields
    deactivate: bool = False


class WriteOutcome(BaseModel):
    """Payload of ``written.<system>.<entity>``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    idempotency_key: str
    error_class: Literal["retriable", "permanent", "ignorable"] | None = None
    reason: str | None = None
    created: bool = False  # a new record (not found by the live re-check)
    linked_existing: bool = False  # the live re-check found the record already there
    record: dict[str, Any] | None = None  # the canonical record as the target stored it

    @model_validator(mode="before")
    @classmethod
    def _retired_fields(cls, data: Any) -> Any:
        """``content_hash`` (session 3: nobody read it) may still be in
        outcomes queued or dead-lettered before: dropped, not refused."""
        if isinstance(data, dict) and "content_hash" in data:
            return {k: v for k, v in data.items() if k != "content_hash"}
        return data
