"""Requests counted by method, path template and status, to measure API
calls per synced record."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web


def path_template(request: web.Request) -> str:
    info = request.match_info
    resource = info.route.resource if info.route is not None else None
    template = resource.canonical if resource is not None else request.path
    template = template.replace("{realm_id}", "{realmId}").replace(
        "{entity_id}", "{id}"
    )
    if "entity" in info:
        template = template.replace("{entity}", info["entity"].lower())
    operation = request.query.get("operation")
    if operation:
        template += f"?operation={operation}"
    return template


class RequestStats:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, int]] = Counter()
        self.batch_items = 0

    def clear(self) -> None:
        self.counts.clear()
        self.batch_items = 0

    def record(self, method: str, template: str, status: int) -> None:
        self.counts[(method, template, status)] += 1

    def report(self) -> dict[str, Any]:
        rows = [
            {"method": m, "path": p, "status": s, "count": n}
            for (m, p, s), n in sorted(self.counts.items())
        ]
        by_path: Counter[str] = Counter()
        for (method, path, _), count in self.counts.items():
            by_path[f"{method} {path}"] += count
        return {
            "total": sum(self.counts.values()),
            "requests": rows,
            "by_path": dict(sorted(by_path.items())),
            "batch_items": self.batch_items,
        }
