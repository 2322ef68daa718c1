"""The Dead letters page: groups by cause, actions, recent replays' outcomes."""

from __future__ import annotations

from aiohttp import web

from common.entities import ENTITIES
from services.admin.console import CONSOLE
from services.admin.dead_letters import ops
from services.admin.dead_letters.api import filters
from services.admin.web.render import render

PAGE = "/ui/dead-letters"
RECENT_REPLAYS = 10


async def page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    chosen = filters(request)
    found = await ops.groups(console, **chosen, limit=100)
    recent = await ops.replays(console, tenant=chosen["tenant"], limit=RECENT_REPLAYS)
    for replay in recent:
        replay["said"] = ops.describe(replay)
    return render(
        request,
        "dead_letters_page.html",
        found=found,
        replays=recent,
        chosen=chosen,
        sides=ops.SIDES,
        entities=ENTITIES,
        modules=ops.MODULES,
        record_name=ops.record_name,
    )


def routes() -> list[web.RouteDef]:
    return [web.get(PAGE, page)]
