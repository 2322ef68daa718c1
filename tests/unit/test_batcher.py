"""The batcher: full batches go at once, others after their linger; bulk
work lingers longer, so a backfill's calls carry full batches."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from common.gateway.batcher import Batcher
from common.lanes import BULK_LINGER_SECONDS, linger_for

pytestmark = pytest.mark.unit


async def test_a_batch_waits_for_its_own_linger_unless_full() -> None:
    calls: list[tuple[str, list[int]]] = []

    async def flush(key: str, items: Sequence[int]) -> list[int]:
        calls.append((key, list(items)))
        return [i * 10 for i in items]

    batcher: Batcher[str, int, int] = Batcher(flush, max_size=3, linger=0.01)
    loop = asyncio.get_running_loop()
    started = loop.time()
    slow = [asyncio.create_task(batcher.submit("bulk", i, 0.2)) for i in range(2)]
    assert await batcher.submit("live", 7) == 70  # its own short linger
    assert loop.time() - started < 0.15
    assert not slow[0].done()  # the bulk batch still gathers
    full = [asyncio.create_task(batcher.submit("full", i, 5.0)) for i in range(3)]
    assert await asyncio.gather(*full) == [0, 10, 20]  # full: no wait
    assert await asyncio.gather(*slow) == [0, 10]
    assert loop.time() - started >= 0.2
    assert sorted(k for k, _ in calls) == ["bulk", "full", "live"]


def test_bulk_lingers_longer_than_live() -> None:
    assert linger_for("live", 0.25) == 0.25
    assert linger_for("bulk", 0.25) == BULK_LINGER_SECONDS
    assert linger_for("bulk", 5.0) == 5.0  # never shorter than the live one


async def test_a_batch_holds_the_size_its_first_item_asked_for() -> None:
    calls: list[list[int]] = []

    async def flush(key: str, items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        return list(items)

    batcher: Batcher[str, int, int] = Batcher(flush, max_size=2, linger=5.0)
    big = [asyncio.create_task(batcher.submit("bulk", i, 5.0, 4)) for i in range(4)]
    assert await asyncio.wait_for(asyncio.gather(*big), 1.0) == [0, 1, 2, 3]
    small = [asyncio.create_task(batcher.submit("live", i)) for i in range(2)]
    assert await asyncio.wait_for(asyncio.gather(*small), 1.0) == [0, 1]
    assert calls == [[0, 1, 2, 3], [0, 1]]
