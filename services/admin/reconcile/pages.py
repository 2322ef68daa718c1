"""The Reconcile pages: a form to start a run with the recent runs, and one
run (its progress, live, then its findings)."""

from __future__ import annotations

from aiohttp import web

from services.admin.console import CONSOLE
from services.admin.reconcile import ops
from services.admin.reconcile.compare import PAIRS
from services.admin.web.render import render

PAGE_RUNS = 20


def moment(stored: str | None) -> str:
    """A stored time, to the second: "2026-01-31 14:05:09"."""
    return stored[:19].replace("T", " ") if stored else ""


async def page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    return render(
        request,
        "reconcile_page.html",
        runs=await ops.list_runs(console, limit=PAGE_RUNS),
        tenants=await ops.tenants(console),
        pairs=PAIRS,
        moment=moment,
        progress_line=ops.progress_line,
    )


async def run_page(request: web.Request) -> web.Response:
    run = await ops.get_run(request.app[CONSOLE], request.match_info["run_id"])
    return render(
        request,
        "reconcile_run.html",
        run=run,
        sides=ops.SIDE_NAMES,
        moment=moment,
        progress_line=ops.progress_line,
    )


def routes() -> list[web.RouteDef]:
    return [
        web.get("/ui/reconcile", page),
        web.get("/ui/reconcile/{run_id:[^/.]+}", run_page),
    ]
