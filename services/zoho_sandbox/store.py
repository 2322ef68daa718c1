"""Applying validated writes to an org's records, with Zoho's side effects:
system fields, full names, line-item totals, the recycle bin."""

from __future__ import annotations

from typing import Any

from .line_items import compute_row, compute_totals, merge_rows, normalise_row
from .org import Org, Record
from .schema import MODULES, Module

AUTO_NUMBER_PREFIX = {"Invoices": "INV-", "Quotes": "QT-"}


def display_name(module: Module, record: Record) -> str | None:
    value = record.get(module.display_field)
    return None if value is None else str(value)


def _stored_lookup(org: Org, target_module: str, value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    target = org.module_records(target_module).get(str(value["id"]))
    name = value.get("name")
    if target is not None:
        name = display_name(MODULES[target_module], target)
    return {"id": str(value["id"]), "name": name}


def _apply_values(org: Org, module: Module, record: Record, values: Record) -> None:
    for api_name, value in values.items():
        field = module.field(api_name)
        if field is None:
            continue
        if field.data_type == "lookup" and field.lookup:
            record[api_name] = _stored_lookup(org, field.lookup, value)
        elif field.is_line_items:
            rows = [normalise_row(row) for row in value]
            record[api_name] = merge_rows(org, rows, record.get(api_name) or [])
        else:
            record[api_name] = value
    if "Last_Name" in record:
        names = (record.get("First_Name"), record.get("Last_Name"))
        record["Full_Name"] = " ".join(part for part in names if part)
    if module.line_items:
        _price_line_items(org, record, record.get(module.line_items) or [])


def _price_line_items(org: Org, record: Record, rows: list[Record]) -> None:
    products = org.module_records("Products")
    for row in rows:
        product_ref = row.get("Product_Name")
        if isinstance(product_ref, dict):
            row["Product_Name"] = _stored_lookup(org, "Products", product_ref)
            product = products.get(str(product_ref.get("id")))
        else:
            product = None
        unit_price = product.get("Unit_Price") if product else None
        compute_row(row, unit_price)
    compute_totals(record, rows)


def create_record(org: Org, module: Module, values: Record, now: int) -> Record:
    record: Record = {"id": org.new_id()}
    for field in module.fields:
        if field.data_type == "boolean" and field.custom:
            record[field.api_name] = False
    record["Owner"] = {"id": org.user["id"]}
    if module.api_name in AUTO_NUMBER_PREFIX:
        number = org.next_number(module.api_name)
        auto_field = (
            "Invoice_Number" if module.api_name == "Invoices" else "Quote_Number"
        )
        record[auto_field] = f"{AUTO_NUMBER_PREFIX[module.api_name]}{number:05d}"
    _apply_values(org, module, record, values)
    record["Created_Time"] = now
    record["Modified_Time"] = now
    record["Record_Status__s"] = "Available"
    record["Locked__s"] = False
    org.module_records(module.api_name)[record["id"]] = record
    return record


def change_record(
    org: Org, module: Module, record: Record, values: Record, now: int
) -> list[str]:
    """Updates in place; returns the API names whose value actually changed."""
    before = {name: record.get(name) for name in values}
    _apply_values(org, module, record, values)
    changed = [name for name in values if record.get(name) != before[name]]
    record["Modified_Time"] = now
    return changed


def remove_record(org: Org, module: Module, record_id: str, now: int) -> Record | None:
    record = org.module_records(module.api_name).pop(record_id, None)
    if record is None:
        return None
    org.deleted.setdefault(module.api_name, []).append(
        {
            "id": record_id,
            "display_name": display_name(module, record),
            "deleted_time": now,
        }
    )
    return record
