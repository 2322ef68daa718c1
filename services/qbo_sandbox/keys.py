"""Typed keys for what the app shares between handlers."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from services.qbo_sandbox.chaos import FaultInjector
    from services.qbo_sandbox.company import CachedResponse, Company
    from services.qbo_sandbox.ratelimit import RateLimiter
    from services.qbo_sandbox.stats import RequestStats
    from services.qbo_sandbox.webhooks import WebhookDispatcher
    from services.qbo_sandbox.world import World

WORLD: web.AppKey[World] = web.AppKey("world")
LIMITER: web.AppKey[RateLimiter] = web.AppKey("limiter")
FAULTS: web.AppKey[FaultInjector] = web.AppKey("faults")
STATS: web.AppKey[RequestStats] = web.AppKey("stats")
WEBHOOKS: web.AppKey[WebhookDispatcher] = web.AppKey("webhooks")
# requestid calls still running, so a concurrent repeat waits for them.
IN_FLIGHT: web.AppKey[dict[tuple[str, str], asyncio.Future[CachedResponse]]] = (
    web.AppKey("in_flight")
)
COMPANY: web.RequestKey[Company] = web.RequestKey("company")
