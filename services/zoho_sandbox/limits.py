"""API credits over a rolling 24 h and concurrent calls per org, as Zoho
counts them: 1 credit a call (COQL by rows), a concurrency cap by edition and
a sub-cap of 10 for heavy calls."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from .config import HEAVY_SUB_CONCURRENCY

WINDOW_SECONDS = 24 * 3600


@dataclass
class Limiter:
    spent: dict[str, deque[tuple[float, int]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    active: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    active_heavy: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def used(self, org: str, now: float) -> int:
        ledger = self.spent[org]
        while ledger and ledger[0][0] <= now - WINDOW_SECONDS:
            ledger.popleft()
        return sum(credits for _, credits in ledger)

    def remaining(self, org: str, limit: int | None, now: float) -> int | None:
        return None if limit is None else max(0, limit - self.used(org, now))

    def charge(self, org: str, credits: int, now: float) -> None:
        self.spent[org].append((now, credits))

    def enter(self, org: str, cap: int, heavy: bool) -> bool:
        if self.active[org] >= cap:
            return False
        if heavy and self.active_heavy[org] >= HEAVY_SUB_CONCURRENCY:
            return False
        self.active[org] += 1
        if heavy:
            self.active_heavy[org] += 1
        return True

    def leave(self, org: str, heavy: bool) -> None:
        self.active[org] -= 1
        if heavy:
            self.active_heavy[org] -= 1

    def forget(self, org: str) -> None:
        self.spent.pop(org, None)
