"""Counting every record is a scan on the embedded store (seconds at tens of
thousands of records), and the overview page refreshes itself: so a count is
reused while it is young relative to its own cost. A count that took T
seconds is reused for max(MIN_AGE, SHARE × T) seconds, which keeps the
console's share of the store's time near 1/SHARE however many pages are
open and however large the data grows; callers arriving while a count runs
wait for that one instead of starting their own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

Value = TypeVar("Value")
MIN_AGE = 5.0  # seconds: never more often than this, however cheap
SHARE = 10.0  # reuse for 10× the time the count took (≤ ~10 % of the store)


@dataclass(frozen=True)
class Counted(Generic[Value]):
    value: Value
    at: float  # time.time() when the count finished
    took: float  # seconds the count took


class Reused(Generic[Value]):
    def __init__(self, count: Callable[[], Awaitable[Value]]) -> None:
        self._count = count
        self._last: Counted[Value] | None = None
        self._running: asyncio.Task[Counted[Value]] | None = None

    def _fresh(self, now: float) -> bool:
        last = self._last
        return last is not None and now - last.at < max(MIN_AGE, SHARE * last.took)

    async def get(self) -> Counted[Value]:
        if self._fresh(time.time()) and self._last is not None:
            return self._last
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._measure())
        # Shielded: one caller giving up (a closed page) never cancels the
        # count the others wait for.
        counted = await asyncio.shield(self._running)
        return counted

    async def _measure(self) -> Counted[Value]:
        started = time.monotonic()
        value = await self._count()
        counted = Counted(value, time.time(), time.monotonic() - started)
        self._last = counted
        return counted
