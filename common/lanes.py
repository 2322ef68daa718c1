"""The lane of the work in hand: ``live`` (a person's change, a poll, an
operator's command) or ``bulk`` (what a backfill caused; ``Envelope.lane``).

The consumer sets it for each message it handles; the gateways' rate limits
read it, so an API call made for a live change takes its turn before every
call waiting for bulk work, without each client passing it along.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar

from common.messages import Envelope, Lane

CURRENT_LANE: ContextVar[Lane] = ContextVar("lane", default="live")

# Bulk writes wait this long for a batch to fill (a person's, a quarter of a
# second): a backfill's API calls then carry full batches (QBO 30, Zoho 100)
# instead of whatever arrived in the short linger.
BULK_LINGER_SECONDS = 2.0


def live_now() -> bool:
    return CURRENT_LANE.get() == "live"


def linger_for(lane: Lane, live_linger: float) -> float:
    return live_linger if lane == "live" else max(live_linger, BULK_LINGER_SECONDS)


# The longest a bulk message waits for live work to finish: a steady stream
# of live messages (a poll's page) slows a backfill, never stops it.
BULK_YIELD_SECONDS = 1.0

Handler = Callable[[Envelope], Awaitable[Sequence[Envelope]]]


class LiveFirst:
    """In one process, bulk messages start only while no live message is in
    hand (or after ``BULK_YIELD_SECONDS``): the process's CPU and its store
    round trips go to a person's change first, not to the backfill's eight
    messages already in flight beside it.

    ``bulk_at_once`` bounds the bulk messages in hand across all of the
    process's bulk queues (one per tenant): however many tenants backfill,
    a person's change queues behind that many at the store, no more. The
    slots are granted first come first served, and each tenant's queue
    brings its next message only when one of its own is done, so tenants
    take turns."""

    def __init__(
        self, bulk_yield: float = BULK_YIELD_SECONDS, bulk_at_once: int | None = None
    ) -> None:
        self.bulk_yield = bulk_yield
        self._live = 0
        self._no_live = asyncio.Event()
        self._no_live.set()
        self._bulk_slots = asyncio.Semaphore(bulk_at_once) if bulk_at_once else None

    def wrap(self, handler: Handler) -> Handler:
        async def handle(envelope: Envelope) -> Sequence[Envelope]:
            if envelope.lane == "live":
                self._live += 1
                self._no_live.clear()
                try:
                    return await handler(envelope)
                finally:
                    self._live -= 1
                    if self._live == 0:
                        self._no_live.set()
            async with self._bulk_slots or contextlib.nullcontext():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._no_live.wait(), self.bulk_yield)
                return await handler(envelope)

        return handle
