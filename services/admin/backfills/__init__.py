"""The console's Backfills area: start backfill runs and follow them."""

from aiohttp import web

from services.admin.area import Area
from services.admin.backfills import api, cli, pages


def _routes() -> list[web.RouteDef]:
    return [*api.routes(), *pages.routes()]


AREA = Area(
    name="backfills",
    title="Backfills",
    page="/ui/backfills",
    routes=_routes,
    commands=cli.commands,
)
