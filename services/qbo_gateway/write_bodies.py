"""What a write command becomes in QBO: request bodies, live match-key
queries, and the rule that settles a duplicate DisplayName (6240)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.messages import WriteCommand
from common.records import CanonicalRecord, Party, Product, SalesDocument, Vendor
from common.translation.fieldmap import FieldMap
from services.qbo_gateway.catalog import QboEntity
from services.qbo_gateway.client import quote
from services.qbo_gateway.translation import customers, documents, items, vendors


@dataclass(frozen=True)
class WriteContext:
    """Per-tenant facts a body needs, looked up once."""

    field_map: FieldMap | None = None
    income_account_id: str | None = None
    tax_codes: dict[str, str] | None = None
    us_tax: bool = True


def build_body(
    entity: QboEntity,
    record: CanonicalRecord,
    command: WriteCommand,
    *,
    existing_id: str | None,
    sync_token: str | int | None,
    context: WriteContext,
) -> dict[str, Any]:
    fields = tuple(command.fields) if existing_id else ()
    common: dict[str, Any] = {
        "fields": fields,
        "existing_id": existing_id,
        "sync_token": sync_token,
        "field_map": context.field_map,
    }
    if isinstance(record, Party):
        return customers.customer_to_qbo(record, **common)
    if isinstance(record, Product):
        return items.item_to_qbo(
            record, income_account_id=context.income_account_id, **common
        )
    if isinstance(record, Vendor):
        return vendors.vendor_to_qbo(record, **common)
    if isinstance(record, SalesDocument):
        return documents.document_to_qbo(
            record, tax_codes=context.tax_codes, us_tax=context.us_tax, **common
        )
    raise ValueError(f"qbo-gateway cannot write a {type(record).__name__}")


def deactivation_body(
    entity: QboEntity, existing_id: str, sync_token: str | int
) -> tuple[dict[str, Any], str | None]:
    """(body, batch optionsData) that retires a record without deleting it.

    Accounting data is never hard-deleted: name lists become inactive,
    invoices are voided (the document stays, amounts zeroed), estimates are
    marked Rejected.
    """
    base = {"Id": existing_id, "SyncToken": str(sync_token), "sparse": True}
    if entity.name_list:
        return {**base, "Active": False}, None
    if entity.api == "Invoice":
        return base, "void"
    return {**base, "TxnStatus": "Rejected"}, None


def match_query(
    entity: QboEntity, record: CanonicalRecord, match_key: str
) -> str | None:
    """The live query that finds an existing record with the same match key."""
    key = match_key.strip()
    if not key:
        return None
    inactive_too = " AND Active IN (true, false)"
    if isinstance(record, Party):
        where = f"PrimaryEmailAddr = {quote(key)}"
        return f"SELECT * FROM Customer WHERE {where}{inactive_too}"
    if isinstance(record, Product):
        return f"SELECT * FROM Item WHERE Name = {quote(key)}{inactive_too}"
    if isinstance(record, Vendor):
        field = "PrimaryEmailAddr" if "@" in key else "DisplayName"
        return f"SELECT * FROM Vendor WHERE {field} = {quote(key)}{inactive_too}"
    if isinstance(record, SalesDocument):
        return f"SELECT * FROM {entity.api} WHERE DocNumber = {quote(key)}"
    return None


def same_key(entity: QboEntity, row: dict[str, Any], match_key: str) -> bool:
    """Query matching is case-insensitive and LIKE-ish; confirm exactly."""
    key = match_key.strip().casefold()
    if entity.api == "Customer":
        value = (row.get("PrimaryEmailAddr") or {}).get("Address", "")
    elif entity.api == "Item":
        value = row.get("Name", "")
    elif entity.api == "Vendor":
        value = (
            (row.get("PrimaryEmailAddr") or {}).get("Address", "")
            if "@" in key
            else row.get("DisplayName", "")
        )
    else:
        value = row.get("DocNumber", "")
    return str(value).strip().casefold() == key


def disambiguated_name(body: dict[str, Any], attempt: int) -> dict[str, Any]:
    """6240: DisplayName is unique across customers, vendors and employees
    (inactive ones too). Rule: append " (2)", " (3)", … to the name we chose;
    the person's own names and the email stay as they are."""
    name = str(body.get("DisplayName") or "").strip()
    base = name[: 500 - 6]
    return {**body, "DisplayName": f"{base} ({attempt + 1})"}
