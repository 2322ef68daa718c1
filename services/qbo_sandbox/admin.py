"""The /_sandbox/ surface: seed, faults, limits, clock, webhooks, stats."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from services.qbo_sandbox.chaos import FaultSettings
from services.qbo_sandbox.clock import meta_time, parse_when
from services.qbo_sandbox.keys import FAULTS, LIMITER, STATS, WEBHOOKS, WORLD
from services.qbo_sandbox.snapshot import save_snapshot
from services.qbo_sandbox.webhooks import Receiver


async def body_of(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


def endpoints(request: web.Request) -> dict[str, str]:
    base = f"{request.scheme}://{request.host}"
    return {
        "base_url": base,
        "api_base": f"{base}/v3",
        "authorize_url": f"{base}/connect/oauth2",
        "token_url": f"{base}/oauth2/v1/tokens/bearer",
        "revoke_url": f"{base}/v2/oauth2/tokens/revoke",
    }


async def reset(request: web.Request) -> web.Response:
    body = await body_of(request)
    app = request.app
    app[WORLD].wipe()
    app[WORLD].clock.offset_seconds = 0.0
    app[LIMITER].reset()
    app[FAULTS].configure(FaultSettings())
    app[STATS].clear()
    app[WEBHOOKS].configure(None)
    app[WEBHOOKS].clear()
    return await add_company_with(request, body)


async def add_company(request: web.Request) -> web.Response:
    return await add_company_with(request, await body_of(request))


async def add_company_with(request: web.Request, body: dict[str, Any]) -> web.Response:
    try:
        created = request.app[WORLD].add_company(body)
    except (TypeError, ValueError) as error:
        raise web.HTTPBadRequest(text=str(error)) from None
    return web.json_response({**created, **endpoints(request)})


async def set_faults(request: web.Request) -> web.Response:
    try:
        settings = FaultSettings.from_body(await body_of(request))
    except (TypeError, ValueError) as error:
        raise web.HTTPBadRequest(text=str(error)) from None
    request.app[FAULTS].configure(settings)
    return web.json_response(request.app[FAULTS].describe())


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(request.app[FAULTS].describe())


async def set_limits(request: web.Request) -> web.Response:
    body = await body_of(request)
    limits = request.app[LIMITER].limits
    for name in ("per_minute", "per_second", "concurrent", "batch_per_minute"):
        if name in body:
            setattr(limits, name, None if body[name] is None else int(body[name]))
    request.app[LIMITER].reset()
    return web.json_response(vars(limits))


async def get_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATS].report())


async def clear_stats(request: web.Request) -> web.Response:
    request.app[STATS].clear()
    return web.json_response(request.app[STATS].report())


async def set_webhooks(request: web.Request) -> web.Response:
    body = await body_of(request)
    if not body.get("url") or not body.get("verifier_token"):
        raise web.HTTPBadRequest(text="url and verifier_token are required")
    dispatcher = request.app[WEBHOOKS]
    timing = dispatcher.timing
    if "batch_window_seconds" in body:
        timing.batch_window_seconds = float(body["batch_window_seconds"])
    if "retry_schedule_seconds" in body:
        timing.retry_schedule_seconds = tuple(
            float(s) for s in body["retry_schedule_seconds"]
        )
    if "max_attempts" in body:
        timing.max_attempts = int(body["max_attempts"])
    if "request_timeout_seconds" in body:
        timing.request_timeout_seconds = float(body["request_timeout_seconds"])
    receiver = Receiver(
        str(body["url"]), str(body["verifier_token"]), list(body.get("entities", []))
    )
    dispatcher.configure(receiver)
    return web.json_response({**vars(receiver), **vars(timing)})


async def stop_webhooks(request: web.Request) -> web.Response:
    request.app[WEBHOOKS].configure(None)
    return web.json_response({"enabled": False})


async def deliveries(request: web.Request) -> web.Response:
    return web.json_response({"deliveries": request.app[WEBHOOKS].deliveries})


async def advance_clock(request: web.Request) -> web.Response:
    body = await body_of(request)
    clock = request.app[WORLD].clock
    clock.advance(float(body.get("advance_seconds", 0)))
    return web.json_response(
        {"now": clock.now().isoformat(), "offset_seconds": clock.offset_seconds}
    )


async def expire_tokens(request: web.Request) -> web.Response:
    kind = str((await body_of(request)).get("kind", "access"))
    if kind not in ("access", "refresh", "all"):
        raise web.HTTPBadRequest(text="kind must be access, refresh or all")
    return web.json_response({"expired": request.app[WORLD].tokens.expire(kind)})


def company_for(request: web.Request, realm_id: str | None) -> Any:
    world = request.app[WORLD]
    company = world.companies.get(realm_id or world.default_realm or "")
    if company is None:
        raise web.HTTPNotFound(text="no such realm; POST /_sandbox/reset first")
    return company


async def backdate(request: web.Request) -> web.Response:
    """Move records' times into the past, e.g. beyond the CDC lookback."""
    body = await body_of(request)
    company = company_for(request, body.get("realm_id"))
    shift = timedelta(
        days=float(body.get("days", 0)), seconds=float(body.get("seconds", 0))
    )
    ids = {str(i) for i in body.get("ids", [])}
    table = company.table(str(body.get("entity", "")))
    moved = 0
    for record in table.values():
        if ids and record["Id"] not in ids:
            continue
        meta = record["MetaData"]
        for key in ("CreateTime", "LastUpdatedTime"):
            meta[key] = meta_time(parse_when(meta[key], company.tz) - shift, company.tz)
        moved += 1
    return web.json_response({"backdated": moved})


async def records(request: web.Request) -> web.Response:
    """Read records without spending API calls (for test assertions)."""
    company = company_for(request, request.query.get("realm_id"))
    table = company.table(request.query.get("entity", "Customer"))
    return web.json_response(
        {"records": list(table.values()), "deleted": company.deleted}
    )


def _email_of(record: dict[str, Any]) -> str:
    address = record.get("PrimaryEmailAddr") or {}
    return str(address.get("Address") or "")


async def count(request: web.Request) -> web.Response:
    """How many records an entity holds, and the emails that contain
    ``email_contains``, without spending API calls (benchmarks poll this)."""
    company = company_for(request, request.query.get("realm_id"))
    table = company.table(request.query.get("entity", "Customer"))
    needle = request.query.get("email_contains", "").casefold()
    emails = [_email_of(record) for record in table.values()]
    matching = sorted(e for e in emails if needle and needle in e.casefold())
    return web.json_response(
        {
            "count": len(table),
            "active": sum(1 for record in table.values() if record.get("Active")),
            "distinct_emails": len({e.casefold() for e in emails if e}),
            "matching": matching,
        }
    )


async def snapshot(request: web.Request) -> web.Response:
    path = request.app[WORLD].config.snapshot
    if path is None:
        raise web.HTTPBadRequest(text="start the sandbox with --snapshot FILE")
    save_snapshot(request.app[WORLD], path)
    return web.json_response({"saved": str(path)})


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_post("/_sandbox/reset", reset)
    router.add_post("/_sandbox/companies", add_company)
    router.add_post("/_sandbox/faults", set_faults)
    router.add_get("/_sandbox/faults", get_faults)
    router.add_post("/_sandbox/limits", set_limits)
    router.add_get("/_sandbox/stats", get_stats)
    router.add_delete("/_sandbox/stats", clear_stats)
    router.add_post("/_sandbox/webhooks", set_webhooks)
    router.add_delete("/_sandbox/webhooks", stop_webhooks)
    router.add_get("/_sandbox/webhooks/deliveries", deliveries)
    router.add_post("/_sandbox/clock", advance_clock)
    router.add_post("/_sandbox/tokens/expire", expire_tokens)
    router.add_post("/_sandbox/backdate", backdate)
    router.add_get("/_sandbox/records", records)
    router.add_get("/_sandbox/count", count)
    router.add_post("/_sandbox/snapshot", snapshot)
