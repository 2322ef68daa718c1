"""The client's pacing counts as the APIs do: never more than the quota in
any window, a burst included (a leaky bucket as large as the quota let twice
the quota through a sliding minute after a burst: the QBO sandbox's 429s)."""

from __future__ import annotations

import asyncio

import pytest

from common.gateway.limits import SlidingWindow

pytestmark = pytest.mark.unit


async def admissions(window: SlidingWindow, callers: int) -> list[tuple[int, float]]:
    loop = asyncio.get_running_loop()
    admitted: list[tuple[int, float]] = []

    async def call(n: int) -> None:
        await window.acquire()
        admitted.append((n, loop.time()))

    await asyncio.gather(*(call(n) for n in range(callers)))
    return admitted


async def test_no_window_ever_holds_more_than_the_limit() -> None:
    window = SlidingWindow(3, 0.2)
    admitted = await admissions(window, 10)
    times = [at for _n, at in admitted]
    for start in times:
        inside = [t for t in times if start <= t < start + window.seconds]
        assert len(inside) <= 3
    assert len(times) == 10  # and everyone got through


async def test_callers_are_admitted_in_the_order_they_came() -> None:
    admitted = await admissions(SlidingWindow(2, 0.05), 7)
    assert [n for n, _at in admitted] == list(range(7))


async def test_a_burst_after_a_quiet_spell_is_still_the_limit_only() -> None:
    window = SlidingWindow(4, 0.3)
    first = await admissions(window, 4)  # the whole quota at once
    await asyncio.sleep(0.15)  # half a window later
    second = await admissions(window, 4)
    # A leaky bucket would have let two more through by now; the window lets
    # none through until the first burst's calls leave it.
    assert min(at for _n, at in second) >= min(at for _n, at in first) + 0.3
