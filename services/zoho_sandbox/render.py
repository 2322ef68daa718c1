"""Stored records -> the JSON Zoho answers with (names on lookups, user
references, times in the org's zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .clock import format_zoho_time, parse_offset
from .org import Org, Record
from .schema import LINE_ITEM_FIELDS, MODULES, Field, Module

USER_FIELDS = ("Owner", "Created_By", "Modified_By")
SYSTEM_KEYS: dict[str, Any] = {
    "$approval_state": "approved",
    "$editable": True,
    "$locked_for_me": False,
    "$in_merge": False,
}


def zoho_time(org: Org, epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return format_zoho_time(moment, parse_offset(org.time_zone))


def user_ref(org: Org, with_email: bool = True) -> dict[str, str]:
    ref = org.owner_ref()
    if with_email:
        ref["email"] = org.user["email"]
    return ref


def _lookup(org: Org, field: Field, value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    target = org.module_records(field.lookup or "").get(value["id"])
    name = value.get("name")
    if target is not None:
        target_module = MODULES[field.lookup or ""]
        name = target.get(target_module.display_field, name)
    return {"name": name, "id": value["id"]}


def render_value(org: Org, field: Field, record: Record) -> Any:
    name = field.api_name
    if name in USER_FIELDS:
        return user_ref(org)
    value = record.get(name)
    if field.data_type == "datetime" and isinstance(value, int | float):
        return zoho_time(org, value)
    if field.data_type == "lookup":
        return _lookup(org, field, value)
    if field.is_line_items:
        return [render_row(org, row) for row in value or []]
    if name == "Tag":
        return value or []
    return value


def render_row(org: Org, row: Record) -> Record:
    out: Record = {}
    for field in LINE_ITEM_FIELDS:
        if field.data_type == "lookup":
            out[field.api_name] = _lookup(org, field, row.get(field.api_name))
        else:
            out[field.api_name] = row.get(field.api_name)
    out["id"] = row["id"]
    return out


def render_record(
    org: Org, module: Module, record: Record, fields: list[str] | None = None
) -> Record:
    """All fields (nulls included) when `fields` is None, as a single-record GET
    answers; otherwise only the asked fields plus `id`, as a list GET does."""
    out: Record = {}
    if fields is None:
        for field in module.fields:
            out[field.api_name] = render_value(org, field, record)
        out.update(SYSTEM_KEYS)
    else:
        for name in fields:
            wanted = module.field(name)
            if wanted is not None and not wanted.is_line_items:
                out[name] = render_value(org, wanted, record)
    out["id"] = record["id"]
    return out


def write_details(org: Org, record: Record) -> Record:
    """The `details` of a SUCCESS item in an insert/update/upsert answer."""
    return {
        "Modified_Time": zoho_time(org, record["Modified_Time"]),
        "Modified_By": user_ref(org, with_email=False),
        "Created_Time": zoho_time(org, record["Created_Time"]),
        "id": record["id"],
        "Created_By": user_ref(org, with_email=False),
    }
