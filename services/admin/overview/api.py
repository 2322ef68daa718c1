"""The Overview's JSON routes: connections, counts, queue depths."""

from __future__ import annotations

from aiohttp import web

from services.admin.console import CONSOLE
from services.admin.http import params
from services.admin.overview import ops


async def connections(request: web.Request) -> web.Response:
    return web.json_response(await ops.connections(request.app[CONSOLE]))


async def overview(request: web.Request) -> web.Response:
    tenant = params.text(request, "tenant")
    return web.json_response(await ops.overview(request.app[CONSOLE], tenant))


async def queues(request: web.Request) -> web.Response:
    return web.json_response(await ops.queues(request.app[CONSOLE]))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/connections", connections),
        web.get("/api/overview", overview),
        web.get("/api/queues", queues),
    ]
