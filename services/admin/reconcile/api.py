"""The Reconcile area's JSON routes: start a run, follow it, its findings
as JSON or CSV, recent runs."""

from __future__ import annotations

import re

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.admin.console import CONSOLE
from services.admin.http import params
from services.admin.http.errors import BadRequest
from services.admin.reconcile import ops

MAX_RUNS = 200
RUN_ID = "{run_id:[^/.]+}"  # "<id>.csv" is the CSV route's


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=ops.MAX_TENANT)
    entity: str = Field(min_length=1, max_length=params.MAX_TEXT)


async def start_run(request: web.Request) -> web.Response:
    body = await params.body(request, StartBody)
    run = await ops.start_run(
        request.app[CONSOLE], body.tenant, body.entity, started_by="console"
    )
    message = (
        f"reconcile {run['id']} started for {run['tenant']} "
        f"({run['crm_entity']} ⇄ {run['qbo_entity']})"
    )
    return web.json_response({**run, "run_id": run["id"], "message": message})


async def list_runs(request: web.Request) -> web.Response:
    tenant = params.text(request, "tenant")
    limit = params.integer(request, "limit", default=20, low=1, high=MAX_RUNS)
    runs = await ops.list_runs(request.app[CONSOLE], tenant or None, limit)
    return web.json_response({"runs": runs})


async def get_run(request: web.Request) -> web.Response:
    run = await ops.get_run(request.app[CONSOLE], request.match_info["run_id"])
    return web.json_response(run)


async def get_csv(request: web.Request) -> web.Response:
    run_id = request.match_info["run_id"]
    run = await ops.get_run(request.app[CONSOLE], run_id)
    if run["status"] != "done":
        raise BadRequest(f"reconcile {run_id} is {run['status']}: it has no findings")
    return web.Response(
        text=ops.findings_csv(run),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="reconcile-{_safe(run["tenant"])}-'
                f'{run["kind"]}-{run_id}.csv"'
            )
        },
    )


def _safe(name: str) -> str:
    """A tenant's name as a file name part: letters, digits, - and _ only."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/reconcile", list_runs),
        web.post("/api/reconcile", start_run),
        web.get(f"/api/reconcile/{RUN_ID}.csv", get_csv),
        web.get(f"/api/reconcile/{RUN_ID}", get_run),
    ]
