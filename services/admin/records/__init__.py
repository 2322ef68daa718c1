"""The console's Records area: "why isn't this record synced?" in one place —
look a record up, see its state, both sides, what differs, its history and
its dead letters, and sync it now with the outcome shown."""

from aiohttp import web

from services.admin.area import Area
from services.admin.records import api, cli, pages


def routes() -> list[web.RouteDef]:
    return [*api.routes(), *pages.routes()]


AREA = Area(
    name="records",
    title="Records",
    page="/ui/records",
    routes=routes,
    commands=cli.commands,
)
