"""Where a message's time went, so a slow sync names its stage.

Each delivery keeps a ``MessageTiming``: how long the message sat in the
broker (from the ``x-published-at`` header the bus stamps), claiming it in
the inbox, the handler, publishing what it caused, and the store's round
trips over all of it (the store's command listener adds each here). A live
message slower than ``SLOW_LIVE_SECONDS`` from its publish to its ack is
logged as ``message_slow`` with that breakdown: a person's edit that took
seconds says whether it waited in a queue, on the store or in the handler.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

# Unix milliseconds, an integer: the AMQP client encodes a float header as a
# 32-bit float, which holds today's time only to within a minute or two.
PUBLISHED_AT_HEADER = "x-published-at"
SLOW_LIVE_SECONDS = 1.0


@dataclass
class MessageTiming:
    published_at: float | None
    received: float = field(default_factory=time.time)
    claim: float = 0.0
    handler: float = 0.0
    publish: float = 0.0
    store: float = 0.0
    store_commands: int = 0
    slowest_command: str = ""
    slowest_command_s: float = 0.0

    @property
    def queued(self) -> float | None:
        if self.published_at is None:
            return None
        return max(0.0, self.received - self.published_at)

    def add_store_command(self, name: str, seconds: float) -> None:
        self.store += seconds
        self.store_commands += 1
        if seconds > self.slowest_command_s:
            self.slowest_command, self.slowest_command_s = name, seconds

    def total(self) -> float:
        return (self.queued or 0.0) + time.time() - self.received

    def fields(self) -> dict[str, Any]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "total_s": r(self.total()),
            "queued_s": r(self.queued),
            "claim_s": r(self.claim),
            "handler_s": r(self.handler),
            "publish_s": r(self.publish),
            "store_s": r(self.store),
            "store_commands": self.store_commands,
            "slowest_command": self.slowest_command or None,
            "slowest_command_s": r(self.slowest_command_s),
        }


CURRENT_TIMING: ContextVar[MessageTiming | None] = ContextVar(
    "message_timing", default=None
)


def published_at(headers: dict[str, Any] | None) -> float | None:
    """When the message was published (unix seconds), from its header."""
    value = (headers or {}).get(PUBLISHED_AT_HEADER)
    if not isinstance(value, int):
        return None
    return value / 1000


def published_now() -> int:
    """The header's value for a message published now."""
    return time.time_ns() // 1_000_000


def note_store_command(name: str, seconds: float) -> None:
    """Called by the store's command listener, in the task that sent it."""
    timing = CURRENT_TIMING.get()
    if timing is not None:
        timing.add_store_command(name, seconds)
