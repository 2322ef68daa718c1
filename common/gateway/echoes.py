"""Bulk echoes: the change notices of records this gateway just wrote for a
backfill travel in the bulk lane too.

A write in the bulk lane comes back as a change (a webhook or a poll finds
it) that carries no sign of its cause. The gateway remembers, for a few
minutes, which records it wrote for bulk work; a change of one of them is
published in the bulk lane, so a 10,000-record backfill's echoes never queue
ahead of a person's edit. The memory is this process's own and bounded: an
echo it misses (another replica wrote it, or it was forgotten) only travels
in the live lane, as every change did before lanes. A person's edit of a
record written by the backfill minutes ago travels in the bulk lane too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from common.gateway.recent import Recent
from common.messages import Envelope, Lane
from common.payloads import FetchPayload

REMEMBER_SECONDS = 180.0  # webhooks come within seconds, polls within a minute
MAX_REMEMBERED = 200_000  # ~30 MB at most

Handler = Callable[[Envelope], Awaitable[Sequence[Envelope]]]
# A poll that finds this many changes at once is catching up (a backfill's
# echoes older than this memory, a webhook outage), not bringing a person's
# edit, which a webhook brings within seconds: its changes go in the bulk
# lane, so they do not queue ahead of the next person's edit.
POLL_BULK_AT = 100


class BulkEchoes:
    def __init__(
        self,
        seconds: float = REMEMBER_SECONDS,
        limit: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._written: Recent[tuple[str, str, str], bool] = Recent(
            seconds, limit, clock
        )

    def wrote(self, tenant: str, entity: str, external_id: str) -> None:
        self._written.put((tenant, entity, external_id), True)

    def lane_of(self, parent: Envelope, entity: str, external_id: str) -> Lane:
        """The lane of a change of this record, read for ``parent``."""
        if parent.lane == "bulk":
            return "bulk"
        written = self._written.get((parent.tenant, entity, external_id))
        return "bulk" if written else "live"

    def sorted_fetches(self, messages: Sequence[Envelope]) -> list[Envelope]:
        """A webhook's fetch tasks with the echoes' ids moved to the bulk
        lane (a fetch of echoes only goes there whole), so a person's
        record is not fetched behind a backfill's echoes."""
        out: list[Envelope] = []
        for message in messages:
            if message.kind != "fetch" or message.lane == "bulk":
                out.append(message)
                continue
            fetch = message.payload_as(FetchPayload)
            echoes = [
                i
                for i in fetch.ids
                if self.lane_of(message, message.entity, i) == "bulk"
            ]
            if not echoes:
                out.append(message)
                continue
            others = [i for i in fetch.ids if i not in set(echoes)]
            bulk = message.model_copy(
                update={
                    "lane": "bulk",
                    "event_id": uuid.uuid5(message.event_id, "bulk"),
                    "payload": fetch.model_copy(update={"ids": echoes}).wire(),
                }
            )
            out.append(bulk)
            if others:
                kept = fetch.model_copy(update={"ids": others}).wire()
                out.append(message.model_copy(update={"payload": kept}))
        return out

    def remember_bulk(self, written: Envelope, cause: Envelope) -> None:
        """Note the record ``written`` reports, if ``cause`` (the write
        command) was bulk work and the write was applied."""
        if cause.lane == "bulk" and written.external_id and _applied(written):
            self.wrote(written.tenant, written.entity, written.external_id)

    def remembering(self, handler: Handler) -> Handler:
        """``handler`` (a gateway's writes) noting what it wrote in bulk."""

        async def handle(envelope: Envelope) -> Sequence[Envelope]:
            out = await handler(envelope)
            for written in out:
                self.remember_bulk(written, envelope)
            return out

        return handle


def _applied(written: Envelope) -> bool:
    return written.kind == "written" and bool(written.payload.get("ok"))


def catching_up(changes: Sequence[Envelope]) -> list[Envelope]:
    """A poll's changes, in the bulk lane when they are many."""
    if len(changes) < POLL_BULK_AT:
        return list(changes)
    return [
        c if c.lane == "bulk" else c.model_copy(update={"lane": "bulk"})
        for c in changes
    ]
