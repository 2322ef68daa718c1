"""Checks one input record against its module, the way Zoho reports problems:
one error item per field, each with `api_name` and a `json_path`."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from .clock import parse_zoho_time
from .errors import error_item
from .line_items import normalise_row
from .org import Org, Record
from .schema import LINE_ITEM_FIELDS, Field, Module

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Error = dict[str, Any]


def mandatory_missing(api_name: str, path: str) -> Error:
    return error_item(
        "MANDATORY_NOT_FOUND",
        "required field not found",
        {"api_name": api_name, "json_path": path},
    )


def invalid(api_name: str, path: str, expected: str, **extra: Any) -> Error:
    details = {"expected_data_type": expected, "api_name": api_name, "json_path": path}
    details.update(extra)
    return error_item("INVALID_DATA", "invalid data", details)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def check_value(org: Org, field: Field, value: Any, path: str) -> Error | None:
    kind = field.data_type
    if value is None:
        return None
    if kind in ("text", "textarea", "picklist", "website", "phone", "email"):
        if not isinstance(value, str):
            return invalid(field.api_name, path, "text" if kind != "email" else kind)
        if len(value) > field.length:
            return invalid(field.api_name, path, kind, maximum_length=field.length)
        if kind == "email" and value and not EMAIL.match(value):
            return invalid(field.api_name, path, "email")
        return None
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else invalid(field.api_name, path, "integer")
    if kind in ("double", "currency"):
        return None if _is_number(value) else invalid(field.api_name, path, "double")
    if kind == "boolean":
        ok = isinstance(value, bool)
        return None if ok else invalid(field.api_name, path, "boolean")
    if kind == "date":
        return _check_date(field, value, path)
    if kind == "datetime":
        try:
            parse_zoho_time(str(value))
        except ValueError:
            return invalid(field.api_name, path, "datetime")
        return None
    if kind == "lookup":
        return _check_lookup(org, field, value, path)
    if kind == "ownerlookup":
        if not isinstance(value, dict) or str(value.get("id")) != org.user["id"]:
            return invalid(field.api_name, path, "jsonobject")
        return None
    if kind == "linetax":
        ok = isinstance(value, list) and all(isinstance(t, dict) for t in value)
        return None if ok else invalid(field.api_name, path, "jsonarray")
    return None


def _check_date(field: Field, value: Any, path: str) -> Error | None:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return invalid(field.api_name, path, "date")
    return None


def _check_lookup(org: Org, field: Field, value: Any, path: str) -> Error | None:
    if not isinstance(value, dict) or "id" not in value:
        return invalid(field.api_name, path, "jsonobject")
    target = org.module_records(field.lookup or "").get(str(value["id"]))
    if target is None:
        return error_item(
            "INVALID_DATA",
            "the related id given seems to be invalid",
            {"api_name": field.api_name, "json_path": path, "id": str(value["id"])},
        )
    return None


def _check_rows(org: Org, field: Field, rows: Any, path: str) -> list[Error]:
    if not isinstance(rows, list):
        return [invalid(field.api_name, path, "jsonarray")]
    if not rows:
        return [mandatory_missing(field.api_name, path)]
    errors: list[Error] = []
    for index, raw in enumerate(rows):
        row_path = f"{path}[{index}]"
        if not isinstance(raw, dict):
            errors.append(invalid(field.api_name, row_path, "jsonobject"))
            continue
        row = normalise_row(raw)
        if "_delete" in row:
            continue
        errors += _check_line_tax(field, row.get("Line_Tax"), f"{row_path}.Line_Tax")
        for row_field in LINE_ITEM_FIELDS:
            value = row.get(row_field.api_name)
            item_path = f"{row_path}.{row_field.api_name}"
            if row_field.mandatory and _is_empty(value) and not raw.get("id"):
                errors.append(mandatory_missing(row_field.api_name, item_path))
            elif not row_field.read_only:
                problem = check_value(org, row_field, value, item_path)
                if problem:
                    errors.append(problem)
    return errors


def _check_line_tax(field: Field, taxes: Any, path: str) -> list[Error]:
    """A row's taxes: a list of objects whose percentage is a number (the
    sandbox does not check the tax name against the org's taxes)."""
    if taxes is None:
        return []
    if not isinstance(taxes, list):
        return [invalid(field.api_name, path, "jsonarray")]
    errors: list[Error] = []
    for index, tax in enumerate(taxes):
        where = f"{path}[{index}]"
        if not isinstance(tax, dict):
            errors.append(invalid(field.api_name, where, "jsonobject"))
        elif not _is_number(tax.get("percentage", 0)):
            errors.append(invalid(field.api_name, f"{where}.percentage", "double"))
    return errors


def validate(
    org: Org, module: Module, data: Record, index: int, *, creating: bool
) -> tuple[Record, list[Error]]:
    """Returns the writable values and every problem found. Unknown keys and
    read-only fields are dropped silently, as Zoho does."""
    clean: Record = {}
    errors: list[Error] = []
    for field in module.fields:
        path = f"$.data[{index}].{field.api_name}"
        present = field.api_name in data
        value = data.get(field.api_name)
        if field.read_only:
            continue
        if field.mandatory and (creating or present) and _is_empty(value):
            errors.append(mandatory_missing(field.api_name, path))
            continue
        if not present:
            continue
        if field.is_line_items:
            errors.extend(_check_rows(org, field, value, path))
        else:
            problem = check_value(org, field, value, path)
            if problem:
                errors.append(problem)
        clean[field.api_name] = value
    return clean, errors


def find_duplicates(
    org: Org, module: Module, values: Record, index: int, own_id: str | None
) -> list[Error]:
    """Unique fields (the QuickBooks id markers) refuse a value already in use."""
    errors: list[Error] = []
    for field in module.fields:
        value = values.get(field.api_name)
        if not field.unique or _is_empty(value):
            continue
        for record_id, record in org.module_records(module.api_name).items():
            if record_id != own_id and record.get(field.api_name) == value:
                errors.append(
                    duplicate_error(org, module, field.api_name, index, record)
                )
                break
    return errors


def duplicate_error(
    org: Org, module: Module, api_name: str, index: int, existing: Record
) -> Error:
    owner = {**org.owner_ref(), "zuid": org.user["zuid"]}
    return error_item(
        "DUPLICATE_DATA",
        "duplicate data",
        {
            "api_name": api_name,
            "duplicate_record": {
                "Owner": owner,
                "module": {"api_name": module.api_name, "id": module.module_id},
                "id": existing["id"],
            },
            "json_path": f"$.data[{index}].{api_name}",
            "more_records": False,
        },
    )


def combine(errors: list[Error]) -> Error:
    if len(errors) == 1:
        return errors[0]
    return error_item(
        "MULTIPLE_OR_MULTI_ERRORS", "Multiple errors in the request", {"errors": errors}
    )
