"""The client's pacing counts as the APIs do: never more than the quota in
any window, a burst included (a leaky bucket as large as the quota let twice
the quota through a sliding minute after a burst: the QBO sandbox's 429s)."""

from __future__ import annotations

import asyncio

import pytest

from common.gateway.limits import (
    MARGIN_SECONDS,
    LimitSpec,
    LiveFirstSemaphore,
    RateLimits,
    SlidingWindow,
    per_minute,
)

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


async def test_a_429_without_retry_after_pauses_briefly_then_doubles() -> None:
    limits = RateLimits(LimitSpec(per_minute=500, concurrent=10, batch_per_minute=40))
    pauses = [
        limits.throttled("t", retry_after=None, cap=60, batch=True) for _ in range(8)
    ]
    # Not a blanket minute: a moment's concurrency peak costs a second.
    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60]
    limits.answered("t")
    assert limits.throttled("t", retry_after=None, cap=60, batch=True) == 1
    # Another tenant's 429s are its own.
    assert limits.throttled("u", retry_after=None, cap=60, batch=False) == 1


async def test_a_429_waits_at_least_until_our_window_admits_again() -> None:
    limits = RateLimits(LimitSpec(per_minute=500, concurrent=10, batch_per_minute=2))
    for _ in range(2):  # the batch window is full now
        async with limits.slot("t", batch=True):
            pass
    pause = limits.throttled("t", retry_after=None, cap=120, batch=True)
    assert 60 < pause <= 60 + MARGIN_SECONDS
    # A single call's window is not full: the short pause.
    limits.answered("t")
    assert limits.throttled("t", retry_after=None, cap=120, batch=False) == 1


async def test_a_429_with_retry_after_pauses_for_what_it_says() -> None:
    limits = RateLimits(LimitSpec(per_minute=500, concurrent=10))
    assert limits.throttled("t", retry_after=7.5, cap=60, batch=False) == 7.5
    loop = asyncio.get_running_loop()
    started = loop.time()
    limits.throttled("t", retry_after=0.05, cap=60, batch=False)
    # The longer pause already set holds: a later, shorter one cannot cut it.
    assert limits._of("t").paused_until >= started + 7.4


async def test_live_callers_take_the_next_free_place_before_waiting_bulk_ones() -> None:
    window = SlidingWindow(2, 0.1)
    loop = asyncio.get_running_loop()
    admitted: list[str] = []

    async def call(name: str, urgent: bool) -> None:
        await window.acquire(urgent=urgent)
        admitted.append(name)

    bulk = [asyncio.create_task(call(f"bulk{n}", False)) for n in range(6)]
    await asyncio.sleep(0.01)  # two bulk calls admitted, four waiting
    live = asyncio.create_task(call("live", True))
    started = loop.time()
    await asyncio.gather(live, *bulk)
    # The live caller came after four waiting bulk callers and went first.
    assert admitted[:3] == ["bulk0", "bulk1", "live"]
    assert admitted[3:] == ["bulk2", "bulk3", "bulk4", "bulk5"]
    assert loop.time() - started >= 0.2  # and the window still held


async def test_a_cancelled_waiter_gives_its_place_to_the_next() -> None:
    window = SlidingWindow(1, 0.05)
    await window.acquire()
    gone = asyncio.create_task(window.acquire())
    await asyncio.sleep(0.001)
    gone.cancel()
    await asyncio.wait_for(window.acquire(), 1)  # not stuck behind it


async def test_bulk_callers_leave_the_reserve_to_live_ones() -> None:
    window = SlidingWindow(4, 0.2, reserve=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    bulk = [asyncio.create_task(window.acquire()) for _ in range(5)]
    await asyncio.sleep(0.01)
    assert sum(task.done() for task in bulk) == 3  # the 4th place is kept
    await asyncio.wait_for(window.acquire(urgent=True), 0.05)  # at once
    await asyncio.gather(*bulk)
    assert loop.time() - started >= 0.2  # the other two waited a window


def test_the_live_share_of_the_apis_windows() -> None:
    assert per_minute(40)._bulk_room == 36  # QBO's batch calls a minute
    assert per_minute(500)._bulk_room == 450
    assert per_minute(5)._bulk_room == 5  # too small to keep a place back


async def test_a_live_caller_takes_a_free_place_before_waiting_bulk_ones() -> None:
    places = LiveFirstSemaphore(2)
    order: list[str] = []
    release = asyncio.Event()

    async def call(name: str, urgent: bool) -> None:
        async with places.place(urgent=urgent):
            order.append(name)
            await release.wait()

    holders = [asyncio.ensure_future(call(f"bulk{n}", False)) for n in range(2)]
    await asyncio.sleep(0)
    waiting = [asyncio.ensure_future(call(f"bulk{n}", False)) for n in range(2, 6)]
    await asyncio.sleep(0)
    live = asyncio.ensure_future(call("live", True))
    await asyncio.sleep(0.01)
    assert order == ["bulk0", "bulk1"]  # full: everyone else waits
    release.set()
    await asyncio.wait_for(asyncio.gather(*holders, *waiting, live), 1)
    # The live caller came last and went first once a place was free.
    assert order[2] == "live"
    assert order[3:] == ["bulk2", "bulk3", "bulk4", "bulk5"]


async def test_a_cancelled_waiter_does_not_keep_a_place() -> None:
    places = LiveFirstSemaphore(1)
    await places.acquire()
    waiter = asyncio.ensure_future(places.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    places.release()
    await asyncio.wait_for(places.acquire(), 0.5)  # the place is free again
