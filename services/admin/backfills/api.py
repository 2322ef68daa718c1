"""The Backfills area's JSON routes: list runs, one run, start one."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.admin.backfills import ops
from services.admin.console import CONSOLE
from services.admin.http import params

MAX_RUNS = 200


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64)
    system: str = Field(max_length=params.MAX_TEXT)
    since: str = Field(max_length=params.MAX_TEXT)
    entities: list[str] = Field(default_factory=list, max_length=20)


async def list_runs(request: web.Request) -> web.Response:
    tenant = params.text(request, "tenant")
    limit = params.integer(request, "limit", default=20, low=1, high=MAX_RUNS)
    runs = await ops.list_runs(request.app[CONSOLE], tenant or None, limit)
    return web.json_response({"runs": runs})


async def get_run(request: web.Request) -> web.Response:
    run = await ops.get_run(request.app[CONSOLE], request.match_info["run_id"])
    return web.json_response(run)


async def start_run(request: web.Request) -> web.Response:
    body = await params.body(request, StartBody)
    run = await ops.start_run(
        request.app[CONSOLE],
        body.tenant,
        body.system,
        body.since,
        body.entities,
        started_by="console",
    )
    entities = ", ".join(entity["entity"] for entity in run["entities"])
    message = (
        f"backfill {run['id']} started for {run['tenant']} "
        f"({ops.SIDE_NAMES[run['system']]}: {entities})"
    )
    return web.json_response({**run, "message": message})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/backfills", list_runs),
        web.get("/api/backfills/{run_id}", get_run),
        web.post("/api/backfills", start_run),
    ]
