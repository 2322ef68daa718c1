"""The admin service: the console's HTTP API and dashboard on one port
(ADMIN_PORT, 8085 by default), on the same runtime as every service (store,
bus, /healthz, /readyz, /metrics). It consumes no queue: it reads the
store, publishes commands and asks the gateways."""

from __future__ import annotations

import structlog
from aiohttp import web

from common.operator.admin_token import admin_token, token_path
from common.runtime import ServiceContext, run_service
from services.admin.areas import AREAS
from services.admin.console import CONSOLE, Console
from services.admin.http import auth, openapi
from services.admin.http.errors import errors_middleware
from services.admin.web.render import NAV, WEB

log = structlog.get_logger(__name__)
SERVICE = "admin"


async def build(context: ServiceContext) -> Console:
    settings = context.settings
    console = Console(settings, context.store, context.bus, context.dead_letters)
    app = context.http
    app[CONSOLE] = console
    app[auth.TOKEN_KEY] = admin_token(settings)
    app[NAV] = tuple((area.title, area.page) for area in AREAS if area.page)
    # Outermost first: errors wrap authentication, which wraps the handlers.
    app.middlewares.extend([errors_middleware, auth.auth_middleware])
    app.router.add_routes(auth.routes())
    app.router.add_routes(openapi.routes())
    app.router.add_static("/ui/static/", WEB / "static", append_version=False)
    app.router.add_get("/", _home)
    for area in AREAS:
        app.router.add_routes(area.routes())
    where = "ADMIN_TOKEN" if settings.admin_token else str(token_path(settings))
    log.info("console_ready", token_in=where)
    return console


async def _home(_: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/ui/")


def main() -> None:
    run_service(SERVICE, build)
