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


def live_now() -> bool:
    return CURRENT_LANE.get() == "live"
