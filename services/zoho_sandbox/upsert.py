"""Upsert: match on `duplicate_check_fields` in order (or the module's system
unique field), update the first match, insert otherwise."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .org import Org, Record
from .schema import Module
from .state import module_of, org_of, state_of
from .writes import (
    Change,
    envelope_status,
    input_records,
    insert_one,
    publish,
    unmodified_since_header,
    update_one,
)


def check_fields(module: Module, body: dict[str, Any]) -> list[str]:
    requested = body.get("duplicate_check_fields")
    if isinstance(requested, list) and requested:
        return [str(name) for name in requested]
    unique = [field.api_name for field in module.fields if field.unique]
    return [module.default_duplicate_field, *unique]


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().lower() == right.strip().lower()
    if isinstance(left, dict) and isinstance(right, dict):
        return str(left.get("id")) == str(right.get("id"))
    return bool(left == right)


def find_match(
    org: Org, module: Module, data: Record, fields: list[str]
) -> tuple[str, str] | None:
    for name in fields:
        value = data.get(name)
        if value in (None, ""):
            continue
        for record_id, record in org.module_records(module.api_name).items():
            if _same(record.get(name), value):
                return name, record_id
    return None


async def upsert_records(request: web.Request) -> web.Response:
    module, org, now = module_of(request), org_of(request), state_of(request).now()
    data, body = await input_records(request)
    fields = check_fields(module, body)
    since = unmodified_since_header(request)
    items: list[Record] = []
    changes: list[Change] = []
    for index, entry in enumerate(data):
        match = (
            find_match(org, module, entry, fields) if isinstance(entry, dict) else None
        )
        if match is None:
            item, change = insert_one(org, module, entry, index, now)
            extra = {"duplicate_field": None, "action": "insert"}
        else:
            item, change = update_one(org, module, entry, index, now, since, match[1])
            extra = {"duplicate_field": match[0], "action": "update"}
        if item["status"] == "success":
            item = {
                "code": item["code"],
                **extra,
                **{k: item[k] for k in item if k != "code"},
            }
        items.append(item)
        if change:
            changes.append(change)
    publish(request, module, changes)
    all_inserts = all(item.get("action") == "insert" for item in items)
    return web.json_response(
        {"data": items}, status=envelope_status(items, 201 if all_inserts else 200)
    )
