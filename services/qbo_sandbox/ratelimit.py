"""Per-realm throttles: requests per minute (and optionally per second),
concurrent requests, batch requests per minute."""

from __future__ import annotations

from collections import deque

from services.qbo_sandbox.clock import Clock
from services.qbo_sandbox.config import RateLimits


class RateLimiter:
    def __init__(self, limits: RateLimits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        self.windows: dict[tuple[str, str], deque[float]] = {}
        self.in_flight: dict[str, int] = {}

    def reset(self) -> None:
        self.windows.clear()
        self.in_flight.clear()

    def _full(self, key: tuple[str, str], limit: int | None, seconds: float) -> bool:
        if limit is None:
            return False
        stamps = self.windows.setdefault(key, deque())
        horizon = self.clock.monotonic() - seconds
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        return len(stamps) >= limit

    def admit(self, realm_id: str, is_batch: bool) -> bool:
        """True when the request may run; throttled requests are not counted,
        so a client that backs off for a minute gets through again."""
        checks = [
            ((realm_id, "minute"), self.limits.per_minute, 60.0),
            ((realm_id, "second"), self.limits.per_second, 1.0),
        ]
        if is_batch:
            checks.append(((realm_id, "batch"), self.limits.batch_per_minute, 60.0))
        if any(self._full(key, limit, seconds) for key, limit, seconds in checks):
            return False
        now = self.clock.monotonic()
        for key, limit, _ in checks:
            if limit is not None:
                self.windows[key].append(now)
        return True

    def enter(self, realm_id: str) -> bool:
        current = self.in_flight.get(realm_id, 0)
        if self.limits.concurrent is not None and current >= self.limits.concurrent:
            return False
        self.in_flight[realm_id] = current + 1
        return True

    def leave(self, realm_id: str) -> None:
        self.in_flight[realm_id] = max(self.in_flight.get(realm_id, 1) - 1, 0)
