"""The console's Reconcile area: compare both sides of a pair, report what
is missing on a side and which linked fields differ (writes nothing)."""

from aiohttp import web

from services.admin.area import Area
from services.admin.reconcile import api, cli, pages


def _routes() -> list[web.RouteDef]:
    return [*api.routes(), *pages.routes()]


AREA = Area(
    name="reconcile",
    title="Reconcile",
    page="/ui/reconcile",
    routes=_routes,
    commands=cli.commands,
)
