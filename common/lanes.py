"""The lane of the work in hand: ``live`` (a person's change, a poll, an
operator's command) or ``bulk`` (what a backfill caused; ``Envelope.lane``).

The consumer sets it for each message it handles; the gateways' rate limits
read it, so an API call made for a live change takes its turn before every
call waiting for bulk work, without each client passing it along.
"""

from __future__ import annotations

from contextvars import ContextVar

from common.messages import Lane

CURRENT_LANE: ContextVar[Lane] = ContextVar("lane", default="live")

# Bulk writes wait this long for a batch to fill (a person's, a quarter of a
# second): a backfill's API calls then carry full batches (QBO 30, Zoho 100)
# instead of whatever arrived in the short linger.
BULK_LINGER_SECONDS = 2.0


def live_now() -> bool:
    return CURRENT_LANE.get() == "live"


def linger_for(lane: Lane, live_linger: float) -> float:
    return live_linger if lane == "live" else max(live_linger, BULK_LINGER_SECONDS)
