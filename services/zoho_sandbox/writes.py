"""Insert, update, upsert and delete with per-record status envelopes:
201/200 when every record succeeds, 207 when some do, 400 when none do."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .clock import parse_zoho_time
from .errors import ZohoError, error_item, required_param
from .org import Org, Record
from .render import write_details
from .schema import Module
from .state import json_body, module_of, org_of, state_of
from .store import change_record, create_record, remove_record
from .validation import combine, find_duplicates, mandatory_missing, validate

MAX_RECORDS = 100
Change = tuple[str, str, Record]  # operation, record id, changed values


def _success(org: Org, record: Record, message: str) -> Record:
    details = write_details(org, record)
    if message == "record added":
        # Zoho's insert answer carries the approval state; its update answer does not.
        details["$approval_state"] = "approved"
    return {
        "code": "SUCCESS",
        "details": details,
        "message": message,
        "status": "success",
    }


def _bad_id(index: int) -> Record:
    return error_item(
        "INVALID_DATA",
        "the id given seems to be invalid",
        {"api_name": "id", "json_path": f"$.data[{index}].id"},
    )


def envelope_status(items: list[Record], all_ok: int) -> int:
    failed = [item for item in items if item["status"] == "error"]
    if not failed:
        return all_ok
    if len(failed) < len(items):
        return 207
    if all(item["code"] == "ALREADY_MODIFIED" for item in failed):
        return 412
    return 400


async def input_records(request: web.Request) -> tuple[list[Any], dict[str, Any]]:
    body = await json_body(request)
    data = body.get("data")
    if not isinstance(data, list) or not data:
        raise required_param("data")
    if len(data) > MAX_RECORDS:
        raise ZohoError(
            400,
            "LIMIT_EXCEEDED",
            "the number of records exceeds the limit",
            {"limit": MAX_RECORDS},
        )
    return data, body


def unmodified_since_header(request: web.Request) -> float | None:
    header = request.headers.get("If-Unmodified-Since")
    if not header:
        return None
    try:
        return parse_zoho_time(header).timestamp()
    except ValueError as exc:
        raise ZohoError(
            400, "INVALID_DATA", "invalid data", {"header": "If-Unmodified-Since"}
        ) from exc


def insert_one(
    org: Org, module: Module, data: Any, index: int, now: int
) -> tuple[Record, Change | None]:
    if not isinstance(data, dict):
        return error_item("INVALID_DATA", "invalid data", {"index": index}), None
    values, errors = validate(org, module, data, index, creating=True)
    errors += find_duplicates(org, module, values, index, None)
    if errors:
        return combine(errors), None
    record = create_record(org, module, values, now)
    return _success(org, record, "record added"), ("insert", record["id"], values)


def update_one(
    org: Org,
    module: Module,
    data: Any,
    index: int,
    now: int,
    unmodified_since: float | None,
    record_id: str | None = None,
) -> tuple[Record, Change | None]:
    if not isinstance(data, dict):
        return error_item("INVALID_DATA", "invalid data", {"index": index}), None
    record_id = record_id or (str(data["id"]) if data.get("id") else None)
    if record_id is None:
        return mandatory_missing("id", f"$.data[{index}].id"), None
    record = org.module_records(module.api_name).get(record_id)
    if record is None:
        return _bad_id(index), None
    if unmodified_since is not None and record["Modified_Time"] > unmodified_since:
        return (
            error_item(
                "ALREADY_MODIFIED",
                "the record has been modified by another user",
                {"id": record_id},
            ),
            None,
        )
    values, errors = validate(org, module, data, index, creating=False)
    errors += find_duplicates(org, module, values, index, record_id)
    if errors:
        return combine(errors), None
    changed = change_record(org, module, record, values, now)
    change_values = {name: values[name] for name in changed}
    return _success(org, record, "record updated"), ("update", record_id, change_values)


def publish(request: web.Request, module: Module, changes: list[Change]) -> None:
    dispatcher = state_of(request).dispatcher
    if dispatcher is not None and changes:
        dispatcher.publish(org_of(request), module.api_name, changes)


async def insert_records(request: web.Request) -> web.Response:
    module, org, now = module_of(request), org_of(request), state_of(request).now()
    data, _ = await input_records(request)
    items: list[Record] = []
    changes: list[Change] = []
    for index, entry in enumerate(data):
        item, change = insert_one(org, module, entry, index, now)
        items.append(item)
        if change:
            changes.append(change)
    publish(request, module, changes)
    return web.json_response({"data": items}, status=envelope_status(items, 201))


async def update_records(request: web.Request) -> web.Response:
    module, org, now = module_of(request), org_of(request), state_of(request).now()
    data, _ = await input_records(request)
    path_id = request.match_info.get("record_id")
    since = unmodified_since_header(request)
    items: list[Record] = []
    changes: list[Change] = []
    for index, entry in enumerate(data):
        item, change = update_one(org, module, entry, index, now, since, path_id)
        items.append(item)
        if change:
            changes.append(change)
    publish(request, module, changes)
    return web.json_response({"data": items}, status=envelope_status(items, 200))


async def delete_records(request: web.Request) -> web.Response:
    module, org, now = module_of(request), org_of(request), state_of(request).now()
    path_id = request.match_info.get("record_id")
    ids = [path_id] if path_id else request.query.get("ids", "").split(",")
    ids = [value.strip() for value in ids if value.strip()]
    if not ids:
        raise required_param("ids")
    if len(ids) > MAX_RECORDS:
        raise ZohoError(
            400, "LIMIT_EXCEEDED", "the number of records exceeds the limit", {}
        )
    items: list[Record] = []
    changes: list[Change] = []
    for record_id in ids:
        if remove_record(org, module, record_id, now) is None:
            items.append(
                error_item(
                    "INVALID_DATA",
                    "the id given seems to be invalid",
                    {"id": record_id},
                )
            )
            continue
        item = {"code": "SUCCESS", "details": {"id": record_id}}
        items.append({**item, "message": "record deleted", "status": "success"})
        changes.append(("delete", record_id, {}))
    publish(request, module, changes)
    return web.json_response({"data": items}, status=envelope_status(items, 200))
