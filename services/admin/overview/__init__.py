"""The console's Overview area: is everything connected, how is the sync
doing (counts per pair kind and direction), how deep are the queues."""

from aiohttp import web

from services.admin.area import Area
from services.admin.overview import api, cli, pages


def _routes() -> list[web.RouteDef]:
    return [*api.routes(), *pages.routes()]


AREA = Area(
    name="overview",
    title="Overview",
    page="/ui/",
    routes=_routes,
    commands=cli.commands,
)
