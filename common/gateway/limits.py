"""Client-side rate limits per tenant, as the real APIs impose them.

A request takes a slot: the rate limiter (a sliding window, as the APIs
count: never more than the quota in any minute), the concurrency semaphore,
and for batch or heavy calls their own extra window or semaphore. Calls for
live work take their turn in the windows before calls for bulk work
(``common/lanes.py``). A 429
pauses the tenant, so the other in-flight callers back off too instead of
hammering the API: for its Retry-After when it names one; else (QBO never
does) for a short pause that doubles while 429s keep coming (1, 2, 4 … s,
up to a cap), and at least until our own window admits its next call. A
blanket minute (Intuit's advice) would idle the quota for a 429 that a
moment's concurrency peak caused.
The limits are per process: with N replicas, configure 1/N of the API's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from common.lanes import live_now

# Our clock admits a call; the API counts it when it arrives. A window a
# little longer than the API's keeps a late arrival of the oldest call and
# an early one of the newest from landing in one of the API's minutes.
MARGIN_SECONDS = 1.0
FIRST_THROTTLE_PAUSE = 1.0  # seconds, doubled per 429 in a row
# The share of each window bulk work leaves to live work: 4 of QBO's 40
# batch calls a minute, 50 of its 500 calls. A backfill then runs at 90 % of
# the quota, and a person's change finds a free place at once.
LIVE_SHARE = 0.1


@dataclass(frozen=True)
class LimitSpec:
    per_minute: float
    concurrent: int
    batch_per_minute: float | None = None  # QBO: 40 batch calls a minute
    heavy_concurrent: int | None = None  # Zoho: 10 for searches, COQL, big writes


class SlidingWindow:
    """At most ``limit`` admissions in any ``seconds``-long window, as the
    APIs count. (A leaky bucket as large as a minute's quota admits a full
    minute's worth at once and then keeps dripping, so after a burst a
    sliding minute sees up to twice the quota: 429s.) Waiting callers form
    two lines, urgent (live work) and the rest (bulk work), each served in
    the order it came; a free place goes to the urgent line first."""

    def __init__(self, limit: float, seconds: float, reserve: float = 0) -> None:
        self.limit = max(1, int(limit))
        self.seconds = seconds
        # Places only live callers may take (at least one for bulk remains).
        self._bulk_room = max(1, self.limit - int(reserve))
        self._admitted: deque[float] = deque()
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    async def acquire(self, *, urgent: bool = False) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        line = self._urgent if urgent else self._others
        line.append(future)
        self._serve()
        try:
            await future
        except asyncio.CancelledError:
            if future in line:
                line.remove(future)
            self._serve()
            raise

    def _serve(self) -> None:
        """Admit waiters while the window has room for them; else wake when
        it will. Bulk callers leave the last ``reserve`` places to live ones,
        so a person's change never waits for a backfill's minute to pass."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._admitted and now - self._admitted[0] >= self.seconds:
            self._admitted.popleft()
        for line, room in ((self._urgent, self.limit), (self._others, self._bulk_room)):
            while line and len(self._admitted) < room:
                future = line.popleft()
                if future.done():  # its caller was cancelled
                    continue
                self._admitted.append(now)
                future.set_result(None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        wakes = [
            self._admitted[len(self._admitted) - room] + self.seconds
            for line, room in (
                (self._urgent, self.limit),
                (self._others, self._bulk_room),
            )
            if line and 0 <= len(self._admitted) - room < len(self._admitted)
        ]
        if wakes:
            # A hair late, so the admission has surely left the window by then.
            self._timer = loop.call_at(min(wakes) + 0.001, self._wake)

    def _wake(self) -> None:
        self._timer = None
        self._serve()

    def bulk_places(self) -> int:
        """Places a bulk caller arriving now would find free, after the
        callers already waiting (<= 0: it would wait)."""
        now = asyncio.get_running_loop().time()
        while self._admitted and now - self._admitted[0] >= self.seconds:
            self._admitted.popleft()
        waiting = len(self._urgent) + len(self._others)
        return self._bulk_room - len(self._admitted) - waiting

    def frees_in(self) -> float:
        """Seconds until this window admits one more call (0: it would now)."""
        if len(self._admitted) < self.limit:
            return 0.0
        now = asyncio.get_running_loop().time()
        return max(self._admitted[-self.limit] + self.seconds - now, 0.0)


class LiveFirstSemaphore:
    """Calls at once, with live callers served before bulk ones: a bulk
    backlog (a batch spilled into 30 single calls) must not make a person's
    write wait for a place behind it, as a first-come semaphore would."""

    def __init__(self, places: int) -> None:
        self._free = places
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    async def acquire(self, *, urgent: bool = False) -> None:
        if self._free > 0 and not self._urgent and not self._others:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        line = self._urgent if urgent else self._others
        line.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future in line:
                line.remove(future)
            elif future.done() and not future.cancelled():
                self.release()  # handed a place as it was cancelled
            raise

    def release(self) -> None:
        for line in (self._urgent, self._others):
            while line:
                future = line.popleft()
                if not future.done():
                    future.set_result(None)  # the place passes on
                    return
        self._free += 1

    @contextlib.asynccontextmanager
    async def place(self, *, urgent: bool) -> AsyncIterator[None]:
        await self.acquire(urgent=urgent)
        try:
            yield
        finally:
            self.release()


def per_minute(limit: float) -> SlidingWindow:
    return SlidingWindow(limit, 60 + MARGIN_SECONDS, reserve=limit * LIVE_SHARE)


class _TenantLimits:
    def __init__(self, spec: LimitSpec) -> None:
        self.rate = per_minute(spec.per_minute)
        self.concurrency = LiveFirstSemaphore(spec.concurrent)
        self.batch = (
            per_minute(spec.batch_per_minute) if spec.batch_per_minute else None
        )
        self.heavy = (
            asyncio.Semaphore(spec.heavy_concurrent) if spec.heavy_concurrent else None
        )
        self.paused_until = 0.0
        self.throttled_in_a_row = 0


class RateLimits:
    def __init__(self, spec: LimitSpec) -> None:
        self.spec = spec
        self._tenants: dict[str, _TenantLimits] = {}
        self.in_flight_peak = 0
        self._in_flight = 0

    def _of(self, tenant: str) -> _TenantLimits:
        if tenant not in self._tenants:
            self._tenants[tenant] = _TenantLimits(self.spec)
        return self._tenants[tenant]

    def pause(self, tenant: str, seconds: float) -> None:
        limits = self._of(tenant)
        until = asyncio.get_running_loop().time() + seconds
        limits.paused_until = max(limits.paused_until, until)

    def throttled(
        self, tenant: str, *, retry_after: float | None, cap: float, batch: bool
    ) -> float:
        """A 429: pause the tenant, and say for how long (see the module)."""
        limits = self._of(tenant)
        limits.throttled_in_a_row += 1
        if retry_after is not None:
            pause = retry_after
        else:
            doubled = FIRST_THROTTLE_PAUSE * 2 ** (limits.throttled_in_a_row - 1)
            window = limits.batch if batch and limits.batch else limits.rate
            pause = min(cap, max(doubled, window.frees_in()))
        self.pause(tenant, pause)
        return pause

    def bulk_places(self, tenant: str) -> tuple[int | None, int]:
        """Free places for bulk work now: (batch calls or None when the API
        has no batch window, calls)."""
        limits = self._of(tenant)
        batch = limits.batch.bulk_places() if limits.batch is not None else None
        return batch, limits.rate.bulk_places()

    def answered(self, tenant: str) -> None:
        """A call went through: the next 429 starts from the short pause."""
        self._of(tenant).throttled_in_a_row = 0

    @contextlib.asynccontextmanager
    async def slot(
        self, tenant: str, *, batch: bool = False, heavy: bool = False
    ) -> AsyncIterator[None]:
        limits = self._of(tenant)
        loop = asyncio.get_running_loop()
        # A loop, not an event: a later 429 may extend the pause meanwhile.
        while (wait := limits.paused_until - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        urgent = live_now()
        if batch and limits.batch is not None:
            await limits.batch.acquire(urgent=urgent)
        await limits.rate.acquire(urgent=urgent)
        async with contextlib.AsyncExitStack() as stack:
            if heavy and limits.heavy is not None:
                await stack.enter_async_context(limits.heavy)
            await stack.enter_async_context(limits.concurrency.place(urgent=urgent))
            self._in_flight += 1
            self.in_flight_peak = max(self.in_flight_peak, self._in_flight)
            try:
                yield
            finally:
                self._in_flight -= 1
