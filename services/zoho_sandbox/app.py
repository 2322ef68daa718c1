"""The composition root: `create_app(config)` builds the whole sandbox."""

from __future__ import annotations

from aiohttp import web

from . import coql, metadata, oauth, reads, search, upsert, users, watch, writes
from .admin import add_admin_routes, reset_org
from .config import SandboxConfig
from .middleware import count_requests, guard_api, zoho_errors
from .notify_delivery import Dispatcher
from .snapshot import load_snapshot, save_snapshot
from .state import STATE, SandboxState

API = "/crm/v8"
MODULE = API + "/{module}"
RECORD = MODULE + r"/{record_id:\d+}"


def _add_api_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/oauth/v2/auth", oauth.authorize)
    router.add_post("/oauth/v2/token", oauth.token)
    router.add_post("/oauth/v2/token/revoke", oauth.revoke)
    router.add_post(API + "/coql", coql.run_query)
    router.add_get(API + "/actions/watch", watch.list_channels)
    router.add_post(API + "/actions/watch", watch.enable)
    router.add_put(API + "/actions/watch", watch.replace)
    router.add_patch(API + "/actions/watch", watch.patch)
    router.add_delete(API + "/actions/watch", watch.disable)
    router.add_get(API + "/settings/modules", metadata.list_modules)
    router.add_get(API + "/settings/modules/{module}", metadata.get_module)
    router.add_get(API + "/settings/fields", metadata.list_fields)
    router.add_get(API + "/users", users.list_users)
    router.add_get(API + "/org", users.get_org)
    router.add_get(MODULE + "/search", search.search_records)
    router.add_get(MODULE + "/deleted", reads.list_deleted)
    router.add_get(MODULE + "/actions/count", reads.count_records)
    router.add_post(MODULE + "/upsert", upsert.upsert_records)
    router.add_get(MODULE, reads.list_records)
    router.add_post(MODULE, writes.insert_records)
    router.add_put(MODULE, writes.update_records)
    router.add_delete(MODULE, writes.delete_records)
    router.add_get(RECORD, reads.get_record)
    router.add_put(RECORD, writes.update_records)
    router.add_delete(RECORD, writes.delete_records)


def create_app(config: SandboxConfig | None = None) -> web.Application:
    config = config or SandboxConfig()
    state = SandboxState(config=config)
    state.dispatcher = Dispatcher(state)
    app = web.Application(
        middlewares=[count_requests, zoho_errors, guard_api],
        client_max_size=8 * 1024 * 1024,
    )
    app[STATE] = state
    _add_api_routes(app.router)
    add_admin_routes(app)
    app.on_startup.append(_start)
    app.on_cleanup.append(_stop)
    return app


async def _start(app: web.Application) -> None:
    state = app[STATE]
    config = state.config
    if config.snapshot is not None and load_snapshot(state, config.snapshot):
        return
    if config.port:
        # A process started from the command line is usable before any reset.
        reset_org(state, {"seed": 1}, f"http://{config.host}:{config.port}")


async def _stop(app: web.Application) -> None:
    state = app[STATE]
    if state.config.snapshot is not None:
        save_snapshot(state, state.config.snapshot)
    if state.dispatcher is not None:
        await state.dispatcher.close()
