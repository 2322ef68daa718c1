"""GET list, GET one, count and the deleted-records list."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .clock import parse_zoho_time
from .errors import ZohoError, required_param
from .org import Org, Record
from .paging import issue_token, window_of
from .render import render_record, zoho_time
from .schema import Module
from .state import module_of, org_of, state_of

MAX_FIELDS = 50
SORT_KEYS = {
    "id": "id",
    "Created_Time": "Created_Time",
    "Modified_Time": "Modified_Time",
}
RECYCLE_DAYS = 60


def fields_param(
    request: web.Request, module: Module, required: bool
) -> list[str] | None:
    raw = request.query.get("fields")
    if not raw:
        if required:
            raise required_param("fields")
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if len(names) > MAX_FIELDS:
        raise ZohoError(
            400, "LIMIT_EXCEEDED", "fields limit exceeded", {"limit": MAX_FIELDS}
        )
    for name in names:
        if name != "id" and module.field(name) is None:
            raise ZohoError(
                400,
                "INVALID_DATA",
                "the field api name given seems to be invalid",
                {"api_name": name},
            )
    return names


def modified_since(request: web.Request) -> float | None:
    header = request.headers.get("If-Modified-Since")
    if not header:
        return None
    try:
        return parse_zoho_time(header).timestamp()
    except ValueError as exc:
        raise ZohoError(
            400, "INVALID_DATA", "invalid data", {"header": "If-Modified-Since"}
        ) from exc


def sort_key(record: Record, sort_by: str) -> tuple[Any, int]:
    return (
        (record[sort_by], int(record["id"]))
        if sort_by != "id"
        else (
            int(record["id"]),
            0,
        )
    )


def sorted_records(
    records: list[Record], sort_by: str, sort_order: str
) -> list[Record]:
    return sorted(
        records, key=lambda r: sort_key(r, sort_by), reverse=sort_order == "desc"
    )


def _sort_params(request: web.Request) -> tuple[str, str]:
    sort_by = request.query.get("sort_by", "id")
    sort_order = request.query.get("sort_order", "desc")
    if sort_by not in SORT_KEYS:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "sort_by"})
    if sort_order not in ("asc", "desc"):
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "sort_order"})
    return sort_by, sort_order


def _ids_param(request: web.Request) -> list[str] | None:
    raw = request.query.get("ids")
    if raw is None:
        return None
    ids = [value.strip() for value in raw.split(",") if value.strip()]
    if len(ids) > 100:
        raise ZohoError(400, "LIMIT_EXCEEDED", "ids limit exceeded", {"limit": 100})
    return ids


async def list_records(request: web.Request) -> web.StreamResponse:
    state, org, module = state_of(request), org_of(request), module_of(request)
    fields = fields_param(request, module, required=True)
    sort_by, sort_order = _sort_params(request)
    ids = _ids_param(request)
    since = modified_since(request)
    binding = {
        "org": org.name,
        "module": module.api_name,
        "fields": fields,
        "sort": [sort_by, sort_order],
        "ids": ids,
        "since": since,
    }
    window = window_of(request, state, binding)
    pool = org.module_records(module.api_name)
    candidates = [pool[i] for i in ids if i in pool] if ids else list(pool.values())
    if since is not None:
        candidates = [r for r in candidates if r["Modified_Time"] > since]
        if not candidates:
            return web.Response(status=304)
    ordered = sorted_records(candidates, sort_by, sort_order)
    page = ordered[window.offset : window.offset + window.per_page]
    if not page:
        return web.Response(status=204)
    more = window.offset + window.per_page < len(ordered)
    next_token, expiry = None, None
    if more:
        next_token, expires = issue_token(
            state, binding, window.offset + window.per_page
        )
        expiry = zoho_time(org, expires)
    previous = None
    if "page_token" in request.query and window.offset > 0:
        previous, _ = issue_token(
            state, binding, max(0, window.offset - window.per_page)
        )
    info = {
        "call": False,
        "per_page": window.per_page,
        "next_page_token": next_token,
        "count": len(page),
        "sort_by": sort_by,
        "page": window.page,
        "previous_page_token": previous,
        "page_token_expiry": expiry,
        "sort_order": sort_order,
        "email": False,
        "more_records": more,
    }
    data = [render_record(org, module, record, fields) for record in page]
    return web.json_response({"data": data, "info": info})


async def get_record(request: web.Request) -> web.StreamResponse:
    org, module = org_of(request), module_of(request)
    record = org.module_records(module.api_name).get(request.match_info["record_id"])
    if record is None:
        return web.Response(status=204)
    return web.json_response({"data": [render_record(org, module, record)]})


async def count_records(request: web.Request) -> web.Response:
    org, module = org_of(request), module_of(request)
    return web.json_response({"count": len(org.module_records(module.api_name))})


def _deleted_entry(org: Org, entry: Record, now: float) -> Record:
    in_bin = now - entry["deleted_time"] < RECYCLE_DAYS * 86400
    who = {"name": org.user["name"], "id": org.user["id"]}
    return {
        "deleted_by": who if in_bin else None,
        "id": entry["id"],
        "display_name": entry["display_name"] if in_bin else None,
        "type": "recycle" if in_bin else "permanent",
        "created_by": who if in_bin else None,
        "deleted_time": zoho_time(org, entry["deleted_time"]),
    }


async def list_deleted(request: web.Request) -> web.StreamResponse:
    state, org, module = state_of(request), org_of(request), module_of(request)
    kind = request.query.get("type", "all")
    if kind not in ("all", "recycle", "permanent"):
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "type"})
    since = modified_since(request)
    now = state.clock.timestamp()
    entries = sorted(
        org.deleted.get(module.api_name, []),
        key=lambda e: (e["deleted_time"], int(e["id"])),
        reverse=True,
    )
    if since is not None:
        entries = [e for e in entries if e["deleted_time"] > since]
    shown = [_deleted_entry(org, e, now) for e in entries]
    shown = [e for e in shown if kind in ("all", e["type"])]
    window = window_of(request, state, {"deleted": module.api_name})
    page = shown[window.offset : window.offset + window.per_page]
    if not page:
        return web.Response(status=304 if since is not None else 204)
    info = {
        "per_page": window.per_page,
        "count": len(page),
        "page": window.page,
        "more_records": window.offset + window.per_page < len(shown),
    }
    return web.json_response({"data": page, "info": info})
