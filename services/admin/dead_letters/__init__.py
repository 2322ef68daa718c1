"""The console's Dead letters area: failed syncs grouped by cause, each
naming its record, with replay and discard, and each replay's outcome."""

from aiohttp import web

from services.admin.area import Area
from services.admin.dead_letters import api, cli, pages


def routes() -> list[web.RouteDef]:
    return [*api.routes(), *pages.routes()]


AREA = Area(
    name="dead_letters",
    title="Dead letters",
    page=pages.PAGE,
    routes=routes,
    commands=cli.commands,
)
