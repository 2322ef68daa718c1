"""The Backfills page: a form to start a run, and the runs, live."""

from __future__ import annotations

from aiohttp import web

from common.entities import ENTITIES
from services.admin.backfills import ops
from services.admin.console import CONSOLE
from services.admin.web.render import render

PAGE_RUNS = 20


def duration(seconds: float | None) -> str:
    """An ETA as a person reads it: "45 s", "3 min 20 s", "2 h 5 min"."""
    if seconds is None:
        return ""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def moment(stored: str | None) -> str:
    """A stored time, to the second: "2026-01-31 14:05:09"."""
    return stored[:19].replace("T", " ") if stored else ""


async def page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    return render(
        request,
        "backfills_page.html",
        runs=await ops.list_runs(console, limit=PAGE_RUNS),
        tenants=await ops.connected_tenants(console),
        sides=ops.SIDE_NAMES,
        entities=ENTITIES,
        duration=duration,
        moment=moment,
    )


def routes() -> list[web.RouteDef]:
    return [web.get("/ui/backfills", page)]
