"""Composition root: builds the aiohttp application from a config."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from services.qbo_sandbox import admin, api, oauth_routes
from services.qbo_sandbox.chaos import FaultInjector
from services.qbo_sandbox.config import SandboxConfig
from services.qbo_sandbox.guard import count_requests, guard_api
from services.qbo_sandbox.keys import FAULTS, IN_FLIGHT, LIMITER, STATS, WEBHOOKS, WORLD
from services.qbo_sandbox.ratelimit import RateLimiter
from services.qbo_sandbox.snapshot import load_snapshot, save_snapshot
from services.qbo_sandbox.stats import RequestStats
from services.qbo_sandbox.webhooks import WebhookDispatcher
from services.qbo_sandbox.world import World

MAX_BODY_BYTES = 10 * 1024 * 1024


def create_app(config: SandboxConfig | None = None) -> web.Application:
    config = config or SandboxConfig()
    app = web.Application(
        middlewares=[count_requests, guard_api], client_max_size=MAX_BODY_BYTES
    )
    world = World(config)
    dispatcher = WebhookDispatcher(config.webhooks, world.clock)
    world.change_listener = dispatcher.enqueue
    app[WORLD] = world
    app[LIMITER] = RateLimiter(config.limits, world.clock)
    app[FAULTS] = FaultInjector()
    app[STATS] = RequestStats()
    app[WEBHOOKS] = dispatcher
    app[IN_FLIGHT] = {}
    oauth_routes.add_routes(app)
    admin.add_routes(app)
    api.add_routes(app)
    app.cleanup_ctx.append(lifecycle)
    return app


async def lifecycle(app: web.Application) -> AsyncIterator[None]:
    world = app[WORLD]
    if world.config.snapshot is not None:
        load_snapshot(world, world.config.snapshot)
    await app[WEBHOOKS].start()
    yield
    await app[WEBHOOKS].stop()
    if world.config.snapshot is not None:
        save_snapshot(world, world.config.snapshot)
