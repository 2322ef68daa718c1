"""Gathers single commands into API batch calls (QBO 30, Zoho 100 a call).

Callers ``await batcher.submit(key, item)`` and get their own result (or
exception) back; a batch goes out when it is full or when the oldest item has
waited ``linger`` seconds (bulk work lingers longer: ``common/lanes.py``).
Items under different keys (tenant, entity, lane) never share a call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Item = TypeVar("Item")
Result = TypeVar("Result")

Flush = Callable[[Key, Sequence[Item]], Awaitable[Sequence[Result | BaseException]]]


@dataclass
class _Pending(Generic[Item, Result]):
    max_size: int
    items: list[Item] = field(default_factory=list)
    futures: list[asyncio.Future[Result]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class Batcher(Generic[Key, Item, Result]):
    def __init__(
        self, flush: Flush[Key, Item, Result], *, max_size: int, linger: float
    ) -> None:
        self._flush = flush
        self.max_size = max_size
        self.linger = linger
        self._pending: dict[Key, _Pending[Item, Result]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self.calls = 0

    async def submit(
        self,
        key: Key,
        item: Item,
        linger: float | None = None,
        max_size: int | None = None,
    ) -> Result:
        """``linger`` and ``max_size`` (else the batcher's) are the first
        item's: a batch goes when it holds ``max_size`` or its first item has
        waited ``linger`` seconds."""
        loop = asyncio.get_running_loop()
        pending = self._pending.setdefault(
            key, _Pending(max_size=max_size or self.max_size)
        )
        future: asyncio.Future[Result] = loop.create_future()
        pending.items.append(item)
        pending.futures.append(future)
        if len(pending.items) >= pending.max_size:
            self._send(key)
        elif pending.timer is None:
            wait = self.linger if linger is None else linger
            pending.timer = loop.call_later(wait, self._send, key)
        return await future

    def _send(self, key: Key) -> None:
        pending = self._pending.pop(key, None)
        if pending is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        task = asyncio.get_running_loop().create_task(self._run(key, pending))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, key: Key, pending: _Pending[Item, Result]) -> None:
        self.calls += 1
        try:
            results = await self._flush(key, pending.items)
        except BaseException as exc:  # the whole call failed: every item did
            for future in pending.futures:
                if not future.done():
                    future.set_exception(exc)
            return
        if len(results) != len(pending.items):
            error = RuntimeError("batch returned a different number of results")
            for future in pending.futures:
                if not future.done():
                    future.set_exception(error)
            return
        for future, result in zip(pending.futures, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
