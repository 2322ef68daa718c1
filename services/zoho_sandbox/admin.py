"""The `/_sandbox/` control surface for tests, demos and benchmarks."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from aiohttp import web

from .errors import ZohoError
from .org_factory import build_org
from .render import zoho_time
from .schema import find_module
from .seed import Sizes, seed_org
from .snapshot import save_snapshot
from .state import SandboxState, state_of


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise ZohoError(400, "INVALID_DATA", "the input json is invalid") from exc
    return body if isinstance(body, dict) else {}


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def reset_org(state: SandboxState, body: dict[str, Any], base: str) -> dict[str, Any]:
    name = str(body.get("org", "default"))
    seed = int(body.get("seed", 1))
    org = build_org(name, seed, body, base)
    sizes = Sizes(**{f.name: int(body.get(f.name, 0)) for f in fields(Sizes)})
    if state.dispatcher is not None:
        state.dispatcher.forget_org(name)
    state.tokens.forget_org(name)
    state.limiter.forget(name)
    state.orgs[name] = org
    seed_org(org, seed, sizes, state.now())
    now = state.clock.timestamp()
    refresh = state.tokens.issue_refresh(name, "ZohoCRM.modules.ALL", now)
    access = state.tokens.issue_access(name, refresh, now)
    return {
        "org": name,
        "client_id": org.client_id,
        "client_secret": org.client_secret,
        "refresh_token": refresh,
        "access_token": access,
        "redirect_uri": org.redirect_uri,
        "api_domain": org.api_domain,
        "accounts_server": org.accounts_server,
        "accounts_url": org.accounts_server,
        "location": org.location,
        "time_zone": org.time_zone,
        "edition": org.edition,
        "user": dict(org.user),
        "counts": {
            module: len(records) for module, records in sorted(org.records.items())
        },
    }


async def reset(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await _body(request)
    state.faults.configure(
        {
            "error_rate": 0,
            "throttle_rate": 0,
            "timeout_rate": 0,
            "latency_ms": 0,
            "seed": 0,
        }
    )
    state.stats.clear()
    state.page_tokens.clear()
    return web.json_response(reset_org(state, body, base_url(request)))


async def faults(request: web.Request) -> web.Response:
    state = state_of(request)
    state.faults.configure(await _body(request))
    return web.json_response(state.faults.describe())


async def stats(request: web.Request) -> web.Response:
    return web.json_response(state_of(request).stats.report())


async def clear_stats(request: web.Request) -> web.Response:
    state_of(request).stats.clear()
    return web.json_response({"status": "success"})


async def clock(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await _body(request)
    state.clock.advance(float(body.get("advance_seconds", 0)))
    answer: dict[str, Any] = {
        "now": state.clock.now().isoformat(timespec="seconds"),
        "offset_seconds": state.clock.offset_seconds,
    }
    org = state.orgs.get(str(body.get("org", "default")))
    if org is not None:
        answer["org_now"] = zoho_time(org, state.clock.timestamp())
    return web.json_response(answer)


async def expire_tokens(request: web.Request) -> web.Response:
    body = await _body(request)
    org = body.get("org")
    expired = state_of(request).tokens.expire_access(None if org is None else str(org))
    return web.json_response({"expired": expired})


async def deliveries(request: web.Request) -> web.Response:
    dispatcher = state_of(request).dispatcher
    log = dispatcher.log if dispatcher is not None else []
    channel = request.query.get("channel_id")
    shown = [d for d in log if channel in (None, d["channel_id"])]
    pending = dispatcher.pending_count() if dispatcher is not None else 0
    return web.json_response({"deliveries": shown, "pending": pending})


async def count(request: web.Request) -> web.Response:
    """How many records a module of an org holds, how many have the field
    ``filled`` set, and the emails that contain ``email_contains``, without
    spending credits (benchmarks poll this)."""
    state = state_of(request)
    org = state.orgs.get(request.query.get("org", "default"))
    module = find_module(request.query.get("module", "Contacts"))
    if org is None or module is None:
        raise ZohoError(404, "NOT_FOUND", "no such org or module")
    records = list(org.module_records(module.api_name).values())
    field = request.query.get("filled", "")
    needle = request.query.get("email_contains", "").casefold()
    matching = [
        r for r in records if needle and needle in str(r.get("Email") or "").casefold()
    ]
    emails = {str(r.get("Email")).casefold() for r in records if r.get("Email")}
    return web.json_response(
        {
            "count": len(records),
            "distinct_emails": len(emails),
            "filled": sum(1 for r in records if field and r.get(field)),
            "matching": sorted(str(r["Email"]) for r in matching),
            "matching_filled": sum(1 for r in matching if field and r.get(field)),
        }
    )


async def snapshot(request: web.Request) -> web.Response:
    state = state_of(request)
    if state.config.snapshot is None:
        raise ZohoError(400, "NOT_SUPPORTED", "started without --snapshot")
    save_snapshot(state, state.config.snapshot)
    return web.json_response({"status": "success", "path": str(state.config.snapshot)})


def add_admin_routes(app: web.Application) -> None:
    app.router.add_post("/_sandbox/reset", reset)
    app.router.add_post("/_sandbox/faults", faults)
    app.router.add_get("/_sandbox/stats", stats)
    app.router.add_post("/_sandbox/stats/reset", clear_stats)
    app.router.add_post("/_sandbox/clock", clock)
    app.router.add_post("/_sandbox/tokens/expire", expire_tokens)
    app.router.add_get("/_sandbox/notifications/deliveries", deliveries)
    app.router.add_get("/_sandbox/count", count)
    app.router.add_post("/_sandbox/snapshot", snapshot)
