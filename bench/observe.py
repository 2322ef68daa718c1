"""Reading what the running system and the sandboxes report: Prometheus
counters of a service, API calls from the sandboxes' statistics, dead
letters in the store, and log files that show trouble.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from common.bus.dead_letters import DEAD_LETTERS
from common.store import Store

TROUBLE = ("dead_letter", '"level": "error"', '"level": "critical"', "Traceback")


async def metrics_text(http: aiohttp.ClientSession, port: int) -> str:
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        response.raise_for_status()
        return await response.text()


def counter_total(text: str, name: str) -> float | None:
    """The sum of every sample of counter ``name`` (all labels); None when
    the service does not expose it."""
    total, seen = 0.0, False
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        rest = line[len(name) :]
        if rest[:1] not in ("{", " "):
            continue  # another metric whose name starts the same
        total += float(line.rsplit(" ", 1)[1])
        seen = True
    return total if seen else None


# -- API calls from the sandboxes' statistics ------------------------------------
def qbo_calls(stats: dict[str, Any]) -> dict[str, Any]:
    """Calls to /v3 by kind (batch vs single), 429s, operations in batches."""
    kinds: Counter[str] = Counter()
    throttled = 0
    for row in stats["requests"]:
        if not row["path"].startswith("/v3/"):
            continue
        kinds[_qbo_kind(row["method"], row["path"])] += row["count"]
        throttled += row["count"] if row["status"] == 429 else 0
    return {
        "calls": sum(kinds.values()),
        "batch_calls": kinds["batch"],
        "single_calls": sum(kinds.values()) - kinds["batch"],
        "by_kind": dict(sorted(kinds.items())),
        "batch_items": stats.get("batch_items", 0),
        "items_per_batch_call": (
            round(stats.get("batch_items", 0) / kinds["batch"], 1)
            if kinds["batch"]
            else None
        ),
        "throttled_429": throttled,
    }


def _qbo_kind(method: str, path: str) -> str:
    tail = path.split("{realmId}/", 1)[-1]
    if tail in ("batch", "query", "cdc"):
        return tail
    return "read" if method == "GET" else "write"


def zoho_calls(stats: dict[str, Any]) -> dict[str, Any]:
    """Calls to /crm by method and route, 429s, credits spent per org."""
    routes: Counter[str] = Counter()
    throttled = 0
    for row in stats["requests"]:
        if not row["path"].startswith("/crm/"):
            continue
        routes[f"{row['method']} {row['path']}"] += row["count"]
        throttled += row["count"] if row["status"] == 429 else 0
    return {
        "calls": sum(routes.values()),
        "by_route": dict(sorted(routes.items())),
        "throttled_429": throttled,
        "credits_used": stats.get("credits_used", {}),
    }


# -- dead letters and logs -----------------------------------------------------
async def dead_letters(store: Store) -> dict[str, Any]:
    """How many dead letters the store holds, by tenant, queue and error."""
    by: Counter[str] = Counter()
    async for letter in store.db[DEAD_LETTERS].find(
        {}, {"tenant": 1, "queue": 1, "error_type": 1}
    ):
        key = f"{letter.get('tenant')}|{letter.get('queue')}|{letter.get('error_type')}"
        by[key] += 1
    return {"count": sum(by.values()), "by_tenant_queue_error": dict(by)}


def troubled_logs(folder: Path, examples: int = 3) -> dict[str, Any]:
    """Each log that mentions a dead letter or an error: its path, how many
    such lines, the first few of them (cut short)."""
    found: dict[str, Any] = {}
    for log in sorted(folder.glob("*.log")):
        lines: list[str] = []
        count = 0
        with log.open(errors="replace") as text:
            for line in text:
                if any(mark in line for mark in TROUBLE):
                    count += 1
                    if len(lines) < examples:
                        lines.append(line.strip()[:300])
        if count:
            found[str(log)] = {"lines": count, "first": lines}
    return found


def warnings_by_log(folder: Path, top: int = 5) -> dict[str, Any]:
    """Per log with warnings: how many, and its most frequent warning
    events (a stall without 429s is often explained there)."""
    found: dict[str, Any] = {}
    for log in sorted(folder.glob("*.log")):
        events: Counter[str] = Counter()
        with log.open(errors="replace") as text:
            for line in text:
                if '"level": "warning"' in line:
                    events[_event_of(line)] += 1
        if events:
            found[log.stem] = {
                "warnings": sum(events.values()),
                "top_events": dict(events.most_common(top)),
            }
    return found


def _event_of(line: str) -> str:
    try:
        return str(json.loads(line).get("event", "?"))
    except ValueError:
        return "?"
