"""The Records area's JSON routes."""

from __future__ import annotations

from aiohttp import web

from services.admin.console import CONSOLE
from services.admin.http import params
from services.admin.http.errors import BadRequest
from services.admin.records import lookup, ops

MAX_LIMIT = 200
DEFAULT_WAIT = 30
MAX_WAIT = 120


def _place(request: web.Request) -> tuple[str, str, str]:
    system, entity = params.system_and_entity(
        request.match_info["system"], request.match_info["entity"]
    )
    external_id = request.match_info["id"]
    if len(external_id) > params.MAX_TEXT:
        raise BadRequest(f"the id is longer than {params.MAX_TEXT} characters")
    return system, entity, external_id


async def find(request: web.Request) -> web.Response:
    system = params.choice(request, "system", params.SYSTEMS)
    entity = params.text(request, "entity")
    found = await ops.find(
        request.app[CONSOLE],
        tenant=params.text(request, "tenant"),
        q=params.text(request, "q").strip(),
        system=system,
        entity=entity,
        state=params.choice(request, "state", lookup.STATES),
        kind=params.choice(request, "kind", lookup.QUERY_KINDS),
        limit=params.integer(request, "limit", default=20, low=1, high=MAX_LIMIT),
    )
    return web.json_response(found)


async def show(request: web.Request) -> web.Response:
    system, entity, external_id = _place(request)
    shown = await ops.view(
        request.app[CONSOLE],
        tenant=params.text(request, "tenant"),
        system=system,
        entity=entity,
        external_id=external_id,
        live=params.choice(request, "live", ("yes", "no"), default="yes") == "yes",
    )
    return web.json_response(shown)


async def force_sync(request: web.Request) -> web.Response:
    system, entity, external_id = _place(request)
    wait = params.integer(request, "wait", default=DEFAULT_WAIT, low=0, high=MAX_WAIT)
    done = await ops.sync_now(
        request.app[CONSOLE],
        tenant=params.text(request, "tenant"),
        system=system,
        entity=entity,
        external_id=external_id,
        wait=wait,
    )
    return web.json_response(done)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/records", find),
        web.get("/api/records/{system}/{entity}/{id}", show),
        web.post("/api/records/{system}/{entity}/{id}/force-sync", force_sync),
    ]
