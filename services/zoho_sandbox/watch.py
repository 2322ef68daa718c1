"""The notification (watch) API: subscribe a channel to `Module.create|edit|
delete|all`, change or list subscriptions, unsubscribe."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .clock import parse_zoho_time
from .errors import error_item, required_param
from .org import Org, Record
from .render import zoho_time
from .schema import MODULES
from .state import json_body, org_of, state_of
from .writes import envelope_status

DEFAULT_EXPIRY = 3600
MAX_EXPIRY = 7 * 86400
MAX_TOKEN = 50
ACTIONS = ("create", "edit", "delete", "all")
SUBSCRIBED = "Successfully subscribed for actions-watch of the given module"
UNSUBSCRIBED = "Successfully un-subscribed from actions-watch"


def _bad(
    api_name: str, index: int, message: str = "invalid data", **extra: Any
) -> Record:
    details = {"api_name": api_name, "json_path": f"$.watch[{index}].{api_name}"}
    return error_item("INVALID_DATA", message, {**details, **extra})


def _missing(api_name: str, index: int) -> Record:
    return error_item(
        "MANDATORY_NOT_FOUND",
        "required field not found",
        {"api_name": api_name, "json_path": f"$.watch[{index}].{api_name}"},
    )


def _check_events(events: Any, index: int) -> Record | None:
    if not isinstance(events, list) or not events:
        return _missing("events", index)
    for event in events:
        module, _, action = str(event).partition(".")
        if module not in MODULES or action not in ACTIONS:
            return _bad("events", index)
    return None


def _expiry(raw: Any, now: float, index: int) -> float | Record:
    if raw in (None, ""):
        return now + DEFAULT_EXPIRY
    try:
        expires = parse_zoho_time(str(raw)).timestamp()
    except ValueError:
        return _bad("channel_expiry", index)
    if expires <= now or expires > now + MAX_EXPIRY:
        return _bad("channel_expiry", index)
    return expires


def parse_channel(
    entry: Any, index: int, now: float, existing: Record | None
) -> Record:
    """A channel dict, or an error item (has `status: error`)."""
    if not isinstance(entry, dict):
        return _bad("watch", index)
    merged = {**(existing or {}), **entry}
    channel_id = str(merged.get("channel_id", "")).strip()
    if not channel_id:
        return _missing("channel_id", index)
    if not channel_id.isdigit():
        return _bad("channel_id", index, expected_data_type="long")
    problem = _check_events(merged.get("events"), index)
    if problem:
        return problem
    url = merged.get("notify_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return _missing("notify_url", index) if not url else _bad("notify_url", index)
    token = merged.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN):
        return _bad("token", index, maximum_length=MAX_TOKEN)
    raw_expiry = entry.get("channel_expiry")
    if raw_expiry is None and existing is not None:
        expires: float | Record = existing["expires"]
    else:
        expires = _expiry(raw_expiry, now, index)
    if isinstance(expires, dict):
        return expires
    return {
        "channel_id": channel_id,
        "events": [str(event) for event in merged["events"]],
        "notify_url": url,
        "token": token,
        "expires": expires,
        "return_affected_field_values": bool(
            merged.get("return_affected_field_values")
        ),
        "notify_on_related_action": bool(merged.get("notify_on_related_action")),
        "notification_condition": merged.get("notification_condition"),
    }


def _modules(channel: Record) -> list[str]:
    names = [str(event).partition(".")[0] for event in channel["events"]]
    return list(dict.fromkeys(names))


def _resource(org: Org, module: str, channel_id: str) -> Record:
    return {
        "resource_uri": f"{org.api_domain}/crm/v8/{module}",
        "resource_id": MODULES[module].module_id,
        "resource_name": module,
        "channel_id": channel_id,
    }


def _subscribed_item(org: Org, channel: Record) -> Record:
    events = [
        {
            "channel_expiry": zoho_time(org, channel["expires"]),
            **_resource(org, module, channel["channel_id"]),
        }
        for module in _modules(channel)
    ]
    return {
        "code": "SUCCESS",
        "details": {"events": events},
        "message": SUBSCRIBED,
        "status": "success",
    }


async def _watch_entries(request: web.Request) -> list[Any]:
    body = await json_body(request)
    entries = body.get("watch")
    if not isinstance(entries, list) or not entries:
        raise required_param("watch")
    return entries


async def _save(request: web.Request, mode: str) -> web.Response:
    state, org = state_of(request), org_of(request)
    now = state.clock.timestamp()
    items: list[Record] = []
    for index, entry in enumerate(await _watch_entries(request)):
        channel_id = str(entry.get("channel_id", "")) if isinstance(entry, dict) else ""
        existing = org.channels.get(channel_id)
        if mode != "create" and existing is None:
            items.append(_bad("channel_id", index))
            continue
        if mode == "patch" and isinstance(entry, dict):
            item = _patch(org, entry, existing or {}, index, now)
            items.append(item)
            continue
        base = existing if mode == "create" and existing else None
        if base is not None and isinstance(entry, dict) and "events" in entry:
            entry = {
                **entry,
                "events": list(dict.fromkeys(base["events"] + entry["events"])),
            }
        channel = parse_channel(entry, index, now, base)
        if channel.get("status") == "error":
            items.append(channel)
            continue
        org.channels[channel["channel_id"]] = channel
        items.append(_subscribed_item(org, channel))
    return web.json_response({"watch": items}, status=envelope_status(items, 200))


def _patch(org: Org, entry: Record, existing: Record, index: int, now: float) -> Record:
    if entry.get("_delete_events"):
        removing = set(entry.get("events") or [])
        remaining = [e for e in existing["events"] if e not in removing]
        if not remaining:
            del org.channels[existing["channel_id"]]
        else:
            existing["events"] = remaining
        details = _resource(org, _modules(existing)[0], existing["channel_id"])
        return {
            "code": "SUCCESS",
            "details": details,
            "message": UNSUBSCRIBED,
            "status": "success",
        }
    events = list(dict.fromkeys(existing["events"] + list(entry.get("events") or [])))
    channel = parse_channel({**entry, "events": events}, index, now, existing)
    if channel.get("status") == "error":
        return channel
    org.channels[channel["channel_id"]] = channel
    return _subscribed_item(org, channel)


async def enable(request: web.Request) -> web.Response:
    return await _save(request, "create")


async def replace(request: web.Request) -> web.Response:
    return await _save(request, "replace")


async def patch(request: web.Request) -> web.Response:
    return await _save(request, "patch")


async def list_channels(request: web.Request) -> web.StreamResponse:
    state, org = state_of(request), org_of(request)
    now = state.clock.timestamp()
    wanted = request.query.get("channel_id")
    shown: list[Record] = []
    for channel in org.channels.values():
        if channel["expires"] <= now or wanted not in (None, channel["channel_id"]):
            continue
        for module in _modules(channel):
            shown.append(
                {
                    "notify_on_related_action": channel["notify_on_related_action"],
                    "channel_expiry": zoho_time(org, channel["expires"]),
                    **_resource(org, module, channel["channel_id"]),
                    "notify_url": channel["notify_url"],
                    "events": [
                        e for e in channel["events"] if e.startswith(module + ".")
                    ],
                    "token": channel["token"],
                    "return_affected_field_values": channel[
                        "return_affected_field_values"
                    ],
                }
            )
    if not shown:
        return web.Response(status=204)
    info = {"per_page": 200, "count": len(shown), "page": 1, "more_records": False}
    return web.json_response({"watch": shown, "info": info})


async def disable(request: web.Request) -> web.Response:
    org = org_of(request)
    raw = request.query.get("channel_ids", "")
    ids = [value.strip() for value in raw.split(",") if value.strip()]
    if not ids:
        raise required_param("channel_ids")
    items: list[Record] = []
    for channel_id in ids:
        channel = org.channels.pop(channel_id, None)
        if channel is None:
            items.append(
                error_item("INVALID_DATA", "invalid data", {"channel_id": channel_id})
            )
            continue
        for module in _modules(channel):
            items.append(
                {
                    "code": "SUCCESS",
                    "details": _resource(org, module, channel_id),
                    "message": UNSUBSCRIBED,
                    "status": "success",
                }
            )
    return web.json_response({"watch": items}, status=envelope_status(items, 200))
