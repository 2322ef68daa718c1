"""Request counts by method, route template and status, for measuring how many
API calls a sync spends per record."""

from __future__ import annotations

from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.credits: Counter[str] = Counter()

    def count(self, method: str, template: str, status: int) -> None:
        self.requests[(method, template, status)] += 1

    def charge(self, org: str, credits: int) -> None:
        self.credits[org] += credits

    def clear(self) -> None:
        self.requests.clear()
        self.credits.clear()

    def report(self) -> dict[str, Any]:
        rows = [
            {"method": method, "path": path, "status": status, "count": count}
            for (method, path, status), count in sorted(self.requests.items())
        ]
        api_calls = sum(
            count
            for (_m, path, _s), count in self.requests.items()
            if path.startswith("/crm/")
        )
        return {
            "requests": rows,
            "total": sum(self.requests.values()),
            "api_calls": api_calls,
            "credits_used": dict(self.credits),
        }
