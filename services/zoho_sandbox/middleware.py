"""What every API call passes through: counting, auth, injected faults,
credits and concurrency."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from .config import CONCURRENCY_BY_EDITION
from .errors import ZohoError, invalid_token
from .org import Org
from .state import ORG_KEY, SandboxState, state_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CREDITS_KEY = web.RequestKey("zoho_extra_credits", int)
HEAVY_PATHS = ("/coql", "/search")


def route_template(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else "<unmatched>"


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        state_of(request).stats.count(request.method, route_template(request), status)


@web.middleware
async def zoho_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ZohoError as error:
        return error.response()


def _authenticate(request: web.Request, state: SandboxState) -> Org:
    header = request.headers.get("Authorization", "")
    if not header:
        raise ZohoError(401, "AUTHENTICATION_FAILURE", "Authentication failed")
    scheme, _, token = header.partition(" ")
    if scheme != "Zoho-oauthtoken":
        raise invalid_token()
    org_name = state.tokens.org_for_access(token.strip(), state.clock.timestamp())
    org = state.orgs.get(org_name) if org_name else None
    if org is None:
        raise invalid_token()
    if org.enforce_domain and urlsplit(org.api_domain).netloc != request.host:
        raise invalid_token()
    return org


async def _is_heavy(request: web.Request) -> bool:
    if request.path.endswith(HEAVY_PATHS):
        return True
    if request.method not in ("POST", "PUT") or not request.can_read_body:
        return False
    try:
        body = json.loads(await request.read())
    except ValueError:
        return False
    data = body.get("data") if isinstance(body, dict) else None
    return isinstance(data, list) and len(data) > 10


def _throttled(message: str, retry_after: int) -> web.Response:
    # Zoho documents no Retry-After; the sandbox sends one as a hint (README).
    headers = {"Retry-After": str(retry_after)}
    return ZohoError(429, "TOO_MANY_REQUESTS", message, {}, headers).response()


async def _inject_fault(state: SandboxState) -> web.StreamResponse | None:
    fault = state.faults.draw()
    if fault == "throttle":
        return _throttled("Too many requests", 1)
    if fault == "error":
        return ZohoError(500, "INTERNAL_ERROR", "Internal Server Error").response()
    if fault == "timeout":
        await asyncio.sleep(state.faults.timeout_seconds)
        return web.Response(status=504, text="Gateway Timeout")
    return None


@web.middleware
async def guard_api(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/crm/"):
        return await handler(request)
    state = state_of(request)
    org = _authenticate(request, state)
    request[ORG_KEY] = org
    injected = await _inject_fault(state)
    if injected is not None:
        return injected
    now = state.clock.timestamp()
    remaining = state.limiter.remaining(org.name, org.credit_limit, now)
    if remaining is not None and remaining <= 0:
        return _throttled("API credit limit exceeded for the day", 3600)
    heavy = await _is_heavy(request)
    cap = org.concurrency or CONCURRENCY_BY_EDITION.get(org.edition, 20)
    if not state.limiter.enter(org.name, cap, heavy):
        return _throttled("Concurrency limit exceeded", 1)
    try:
        if state.faults.latency_ms:
            await asyncio.sleep(state.faults.latency_ms / 1000)
        response = await handler(request)
    finally:
        state.limiter.leave(org.name, heavy)
    credits = 1 + int(request.get(CREDITS_KEY, 0))
    state.limiter.charge(org.name, credits, now)
    state.stats.charge(org.name, credits)
    left = state.limiter.remaining(org.name, org.credit_limit, now)
    if org.credit_limit is not None and left is not None:
        response.headers["X-RATELIMIT-LIMIT"] = str(org.credit_limit)
        response.headers["X-RATELIMIT-REMAINING"] = str(left)
    return response
