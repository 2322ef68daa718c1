"""Group commit: what is asked for while a command is on its way to the
store waits for it, then goes with everything else that waited, as one
command. Alone, a request goes at once (no linger); under load many cost
one round trip. Each caller still returns only once its own part is done.

The group's commands run in a task of their own, in a context of its own,
so they are not counted to the message that happened to start it; each
caller counts the time it waited as one store command (``name``) of its
message (``common/message_timing.py``).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from common.message_timing import note_store_command

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """``run`` takes a group's items and returns one result per item, in
    order; if it raises, every caller of the group gets the error."""

    def __init__(
        self,
        name: str,
        run: Callable[[list[Item]], Awaitable[list[Result]]],
        *,
        at_most: int = 100,
    ) -> None:
        self.name = name
        self._run = run
        # A group's command is bounded: whoever comes next waits for at most
        # this many items' work ahead of its own.
        self.at_most = at_most
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        if self._draining is not None and self._draining.get_loop() is not loop:
            # Used from another event loop than before (tests do): what
            # waited there went with its loop.
            self._waiting, self._draining = [], None
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(
                self._drain(), context=contextvars.Context()
            )
        started = time.perf_counter()
        try:
            # Shielded: a caller cancelled (a stop) does not cancel the group.
            return await asyncio.shield(future)
        finally:
            note_store_command(self.name, time.perf_counter() - started)

    async def _drain(self) -> None:
        while self._waiting:
            group = self._waiting[: self.at_most]
            self._waiting = self._waiting[self.at_most :]
            try:
                results = await self._run([item for item, _ in group])
            except asyncio.CancelledError:
                for _, future in group:
                    future.cancel()
                raise
            except Exception as exc:
                for _, future in group:
                    future.set_exception(exc)
                    future.exception()  # its caller may have gone (a stop)
            else:
                for (_, future), result in zip(group, results, strict=True):
                    future.set_result(result)
