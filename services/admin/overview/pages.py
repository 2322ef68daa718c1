"""The Overview page (/ui/): connections, counts per pair kind and
direction, queue depths; the counts and queues re-fetched every 5 s."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from services.admin.console import CONSOLE
from services.admin.http import params
from services.admin.http.errors import NotFound, Unavailable
from services.admin.overview import ops
from services.admin.web.render import render

LIVE_SECONDS = 5


def records_link(tenant: str, state: str, system: str, entity: str) -> str:
    """The records page, filtered to one tenant, state and entity."""
    query = {"tenant": tenant, "state": state, "system": system, "entity": entity}
    return f"/ui/records?{urlencode(query)}"


def moment(stored: str | None) -> str:
    """A stored time, to the second: "2026-01-31 14:05:09"."""
    return stored[:19].replace("T", " ") if stored else ""


def duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds <= 0:
        return "expired"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


async def _section(work: Awaitable[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """A section's data, or why it cannot be shown (the others still are)."""
    try:
        return await work, ""
    except (Unavailable, NotFound) as exc:
        return {}, str(exc)
    except Exception as exc:  # the broker or the store: say so on the page
        return {}, f"cannot be read now: {exc.__class__.__name__}"


async def page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    tenant = ops.check_tenant(params.text(request, "tenant"))
    connections, connections_problem = await _section(ops.connections(console))
    counts, counts_problem = await _section(ops.overview(console, tenant))
    queues, queues_problem = await _section(ops.queues(console))
    return render(
        request,
        "overview_page.html",
        tenant=tenant,
        connections=connections.get("connections", []),
        connections_problem=connections_problem,
        tenants=counts.get("tenants", []),
        counted_at=counts.get("counted_at"),
        count_seconds=counts.get("count_seconds"),
        counts_problem=counts_problem,
        queues=queues.get("queues", []),
        queues_problem=queues_problem,
        live=LIVE_SECONDS,
        records_link=records_link,
        moment=moment,
        duration=duration,
    )


def routes() -> list[web.RouteDef]:
    return [web.get("/ui/", page)]
