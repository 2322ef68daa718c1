"""The event ids one consumer is handling right now, in this process.

A second copy of an event (a webhook retried within milliseconds, a replay)
must not run beside the first: it waits until the first is over, then looks
at the inbox. The check and the registration happen with no ``await`` in
between, so they are atomic on the event loop; the release always wakes the
waiters and never fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class InFlight:
    def __init__(self) -> None:
        self._running: dict[str, asyncio.Event] = {}

    @contextlib.asynccontextmanager
    async def hold(self, event_id: str) -> AsyncIterator[None]:
        while (running := self._running.get(event_id)) is not None:
            await running.wait()
        done = self._running[event_id] = asyncio.Event()
        try:
            yield
        finally:
            # Only our own entry: a waiter may already have registered its own.
            if self._running.get(event_id) is done:
                del self._running[event_id]
            done.set()

    def ids(self) -> list[str]:
        return list(self._running)

    def __len__(self) -> int:
        return len(self._running)
