"""Records a gateway read but cannot translate: never dropped, never blocking.

One policy for fetch, poll and backfill on both gateways: the good records
of a page are published, each refused one becomes a dead letter naming it
(side, entity, id, and the reason), and the watermark or cursor moves on,
so one bad record neither stops its neighbours nor is lost from sight.

The dead letter's body is a ``fetch`` of that one record, so replaying it
reads the record again (after a person fixed it, or we fixed the
translation). The letter's subject is the record, so the same record
refused by every poll, a webhook and a backfill is one open dead letter,
updated (counted), not one per attempt; it closes when the record is read
fine again (the matcher closes a record's letters once it decides it).
Each refusal's fetch has an id of its own: a replayed fetch is done in the
gateway's inbox, so the next replay (after another refusal) must not reuse it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog

from common.bus.dead_letters import DeadLetters, Failure
from common.messages import Envelope
from common.payloads import FetchPayload

log = structlog.get_logger(__name__)

T = TypeVar("T")
Row = dict[str, Any]
# What a record cannot be translated for: the reader's and the models' errors.
UNTRANSLATABLE = (ValueError, KeyError, TypeError)

NAMESPACE = uuid.UUID("6b1f0f3e-9c57-4a0e-8d6c-5a1c9f0e2b77")
ERROR_TYPE = "Untranslatable"


@dataclass(frozen=True)
class Refused:
    external_id: str
    reason: str
    label: str | None = None  # name or number, as a person knows the record


def refusal_id(
    tenant: str, system: str, entity: str, external_id: str, at: datetime
) -> uuid.UUID:
    return uuid.uuid5(
        NAMESPACE,
        f"untranslatable|{tenant}|{system}|{entity}|{external_id}|{at.isoformat()}",
    )


class Refusals:
    def __init__(self, dead_letters: DeadLetters, queue: str) -> None:
        self.dead_letters = dead_letters
        self.queue = queue  # where a replayed fetch goes: the gateway's tasks

    async def translated(
        self,
        cause: Envelope,
        entity: str,
        rows: Iterable[Row],
        translate: Callable[[Row], T],
        name: Callable[[Row], tuple[str, str]],
    ) -> list[T]:
        """The one read step of fetch, poll and backfill on both gateways:
        each row translated; the ones that cannot be are recorded (a dead
        letter each, naming the record: ``name`` gives its id and how a
        person reads it) and left out, so the caller publishes the rest and
        moves its watermark or cursor on."""
        good: list[T] = []
        refused: list[Refused] = []
        for row in rows:
            try:
                good.append(translate(row))
            except UNTRANSLATABLE as exc:
                external_id, described = name(row)
                refused.append(
                    Refused(external_id, f"{described} cannot be translated: {exc}")
                )
        if refused:
            await self.record(cause.model_copy(update={"entity": entity}), refused)
        return good

    async def record(self, cause: Envelope, refused: list[Refused]) -> None:
        now = datetime.now(UTC)
        for one in refused:
            fetch = Envelope(
                event_id=refusal_id(
                    cause.tenant, cause.system, cause.entity, one.external_id, now
                ),
                kind="fetch",
                tenant=cause.tenant,
                system=cause.system,
                entity=cause.entity,
                external_id=one.external_id,
                correlation_id=cause.correlation_id,
                payload=FetchPayload(source="replay").wire(),
            )
            log.error(
                "record_untranslatable",
                entity=cause.entity,
                external_id=one.external_id,
                reason=one.reason,
            )
            await self.dead_letters.record(
                Failure(
                    queue=self.queue,
                    routing_key=fetch.routing_key,
                    body=fetch.to_bytes(),
                    reason=one.reason,
                    error_type=ERROR_TYPE,
                    error_class="permanent",
                    attempts=1,
                    first_failed_at=now,
                    last_failed_at=now,
                    event_id=str(fetch.event_id),
                    tenant=cause.tenant,
                    system=cause.system,
                    entity=cause.entity,
                    external_id=one.external_id,
                    label=one.label,
                )
            )
