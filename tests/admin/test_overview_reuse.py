"""The overview's count is reused while young relative to its cost."""

from __future__ import annotations

import asyncio

import pytest

from services.admin.overview import reuse
from services.admin.overview.reuse import Reused

pytestmark = pytest.mark.unit


async def test_a_count_is_reused_then_redone_and_shared_while_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(reuse.time, "time", lambda: clock[0])
    calls = 0
    release = asyncio.Event()

    async def count() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return calls

    reused = Reused(count)
    first = asyncio.gather(reused.get(), reused.get(), reused.get())
    await asyncio.sleep(0)
    release.set()
    answers = await first
    assert [a.value for a in answers] == [1, 1, 1]  # one count for three callers
    clock[0] += reuse.MIN_AGE - 1
    assert (await reused.get()).value == 1
    clock[0] += 2
    assert (await reused.get()).value == 2


async def test_an_expensive_count_is_reused_longer() -> None:
    counted = reuse.Counted(value=1, at=0.0, took=3.0)
    reused: Reused[int] = Reused(lambda: asyncio.sleep(0, 1))
    reused._last = counted
    assert reused._fresh(29.0)  # 10 × 3 s
    assert not reused._fresh(31.0)
