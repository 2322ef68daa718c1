"""What stands in front of every /v3 call, in the real order: bearer auth,
throttles, injected faults, then `requestid` replay, then the handler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from services.qbo_sandbox import errors
from services.qbo_sandbox.company import CachedResponse, Company
from services.qbo_sandbox.keys import COMPANY, FAULTS, IN_FLIGHT, LIMITER, STATS, WORLD
from services.qbo_sandbox.responses import fault_response
from services.qbo_sandbox.stats import path_template
from services.qbo_sandbox.tokens import AccessDenied

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/_sandbox"):
        return await handler(request)
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as http_error:
        status = http_error.status
        raise
    finally:
        request.app[STATS].record(request.method, path_template(request), status)


def auth_failure(request: web.Request, detail: str) -> web.Response:
    millis = int(request.app[WORLD].clock.now().timestamp() * 1000)
    response = web.json_response(errors.auth_fault_body(detail, millis), status=401)
    response.headers["WWW-Authenticate"] = (
        'Bearer realm="Intuit", error="invalid_token"'
    )
    return response


def forbidden(request: web.Request) -> web.Response:
    millis = int(request.app[WORLD].clock.now().timestamp() * 1000)
    return web.json_response(errors.forbidden_fault_body(millis), status=403)


def throttled(request: web.Request, company: Company) -> web.Response:
    from services.qbo_sandbox.clock import response_time

    moment = response_time(request.app[WORLD].clock.now(), company.tz)
    if request.app[FAULTS].settings.throttle_format == "xml":
        return web.Response(
            text=errors.throttle_xml(moment), status=429, content_type="application/xml"
        )
    return web.json_response(errors.throttle_json(moment), status=429)


def authenticate(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AccessDenied("Missing or malformed Authorization header")
    return request.app[WORLD].tokens.realm_of(token.strip())


@web.middleware
async def guard_api(request: web.Request, handler: Handler) -> web.StreamResponse:
    realm_id = request.match_info.get("realm_id")
    if realm_id is None or not request.path.startswith("/v3/"):
        return await handler(request)
    world = request.app[WORLD]
    try:
        token_realm = authenticate(request)
    except AccessDenied as denied:
        return auth_failure(request, str(denied))
    company = world.companies.get(realm_id)
    if company is None or token_realm != realm_id:
        return forbidden(request)
    limiter = request.app[LIMITER]
    if not limiter.enter(realm_id):
        return throttled(request, company)
    try:
        if not limiter.admit(realm_id, request.path.endswith("/batch")):
            return throttled(request, company)
        request[COMPANY] = company
        return await with_faults(request, handler, company)
    finally:
        limiter.leave(realm_id)


async def with_faults(
    request: web.Request, handler: Handler, company: Company
) -> web.StreamResponse:
    faults = request.app[FAULTS]
    if not faults.applies_to(request.path):
        return await replayable(request, handler, company)
    delay = faults.latency_seconds()
    if delay:
        await asyncio.sleep(delay)
    outcome = faults.pick()
    if outcome == "throttle":
        return throttled(request, company)
    if outcome == "error":
        return fault_response(
            errors.system_failure(), request.app[WORLD].clock.now(), company.tz
        )
    if outcome == "timeout":
        if faults.settings.timeout_after_execution:
            await replayable(request, handler, company)
        await asyncio.sleep(faults.settings.timeout_seconds)
        return web.Response(status=504, text="Gateway Timeout")
    return await replayable(request, handler, company)


async def replayable(
    request: web.Request, handler: Handler, company: Company
) -> web.StreamResponse:
    """Same requestid, same answer, and the operation runs once (per realm)."""
    request_id = request.query.get("requestid")
    if not request_id:
        return await answer(request, handler, company)
    limit = MAX_BATCH_REQUEST_ID if request.path.endswith("/batch") else MAX_REQUEST_ID
    if len(request_id) > limit:
        error = errors.business_rule(
            f"You cannot enter more than {limit} characters in the request_id field. "
            f"You tried entering {request_id[:10]}..., which is {len(request_id)} "
            "characters."
        )
        return fault_response(error, request.app[WORLD].clock.now(), company.tz)
    cached = company.requestids.get(request_id)
    key = (company.realm_id, request_id)
    in_flight = request.app[IN_FLIGHT]
    if cached is None and key in in_flight:
        cached = await asyncio.shield(in_flight[key])
    if cached is not None:
        return web.Response(
            text=cached.body, status=cached.status, content_type=cached.content_type
        )
    future: asyncio.Future[CachedResponse] = asyncio.get_running_loop().create_future()
    in_flight[key] = future
    try:
        response = await answer(request, handler, company)
        if isinstance(response, web.Response) and response.text is not None:
            cached = CachedResponse(
                response.status, response.text, response.content_type
            )
            company.remember_response(
                request_id, cached, request.app[WORLD].config.requestid_cache_size
            )
            future.set_result(cached)
        return response
    finally:
        in_flight.pop(key, None)
        if not future.done():
            future.cancel()


async def answer(
    request: web.Request, handler: Handler, company: Company
) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.QboError as error:
        return fault_response(error, request.app[WORLD].clock.now(), company.tz)
