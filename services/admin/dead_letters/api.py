"""The dead letters' JSON API (documented in openapi.yaml)."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from common.entities import ENTITIES
from services.admin.console import CONSOLE
from services.admin.dead_letters import ops
from services.admin.http import params
from services.admin.http.errors import BadRequest

LetterId = Annotated[str, StringConstraints(min_length=1, max_length=300)]
GroupKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
BY_CONSOLE = "console"


class Selection(BaseModel):
    """``{"ids": [...]}`` or ``{"group": "<key>"}``: exactly one (checked by
    ``ops.selected``, which syncctl shares)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[LetterId] | None = Field(default=None, max_length=ops.MAX_SELECTION)
    group: GroupKey | None = None


def filters(request: web.Request) -> dict[str, str]:
    """tenant, system, entity and error_class from the query, checked."""
    system = params.choice(request, "system", params.SYSTEMS)
    entity = params.text(request, "entity")
    if entity and system:
        params.system_and_entity(system, entity)
    elif entity and not any(entity in known for known in ENTITIES.values()):
        every = sorted({name for known in ENTITIES.values() for name in known})
        raise BadRequest(f"unknown entity {entity!r}; accepted: {', '.join(every)}")
    return {
        "tenant": params.text(request, "tenant"),
        "system": system,
        "entity": entity,
        "error_class": params.choice(request, "error_class", ops.ERROR_CLASSES),
    }


async def list_groups(request: web.Request) -> web.Response:
    limit = params.integer(request, "limit", default=50, low=1, high=500)
    found = await ops.groups(request.app[CONSOLE], **filters(request), limit=limit)
    return web.json_response(found)


async def show(request: web.Request) -> web.Response:
    letter = await ops.one(request.app[CONSOLE], request.match_info["id"])
    return web.json_response(letter)


async def replay(request: web.Request) -> web.Response:
    selection = await params.body(request, Selection)
    answer = await ops.replay(
        request.app[CONSOLE], ids=selection.ids, group=selection.group, by=BY_CONSOLE
    )
    return web.json_response(answer)


async def discard(request: web.Request) -> web.Response:
    selection = await params.body(request, Selection)
    answer = await ops.discard(
        request.app[CONSOLE], ids=selection.ids, group=selection.group
    )
    return web.json_response(answer)


def replay_ids(request: web.Request) -> list[str]:
    raw = request.query.get("ids", "")
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if len(ids) > 100 or any(len(part) > 64 for part in ids):
        raise BadRequest("parameter 'ids': at most 100 replay ids, comma-separated")
    return ids


async def list_replays(request: web.Request) -> web.Response:
    found: list[dict[str, Any]] = await ops.replays(
        request.app[CONSOLE],
        replay_ids(request),
        tenant=params.text(request, "tenant"),
        limit=params.integer(request, "limit", default=20, low=1, high=200),
    )
    return web.json_response({"replays": found})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/dead-letters", list_groups),
        # Before /{id}: "replays" is not a dead letter's id.
        web.get("/api/dead-letters/replays", list_replays),
        web.get("/api/dead-letters/{id}", show),
        web.post("/api/dead-letters/replay", replay),
        web.post("/api/dead-letters/discard", discard),
    ]
