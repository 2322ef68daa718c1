"""Bus entity → Zoho module: names, list fields, match keys, translation.

The translation functions (``translation/``) are named here and looked up
when first used: ``*_from_zoho(data, field_map)`` → ``(record, version)``
and ``*_to_zoho(record, fields=, existing_id=, field_map=)`` → a write body.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common.messages import Version
from common.records import CanonicalRecord

FromZoho = Callable[..., tuple[CanonicalRecord, Version]]
ToZoho = Callable[..., dict[str, Any]]
TRANSLATION = "services.crm_gateway.translation"


@dataclass(frozen=True)
class ModuleSpec:
    entity: str
    module: str
    reader: str  # translation function: Zoho JSON → (record, version)
    writer: str  # translation function: record → Zoho write body
    list_fields: tuple[str, ...]
    line_items: bool = False
    # Live re-check before a create: Zoho fields tried in order, with the
    # canonical field each one holds.
    match_fields: tuple[tuple[str, str], ...] = ()
    deactivate_field: str | None = None  # a checkbox that means "inactive" when false

    def from_zoho(self) -> FromZoho:
        return _function(self.reader)

    def to_zoho(self) -> ToZoho:
        return _function(self.writer)


def _function(name: str) -> Callable[..., Any]:
    function = getattr(importlib.import_module(TRANSLATION), name, None)
    if function is None:
        raise LookupError(f"{TRANSLATION} has no {name}")
    return function


ADDRESS = ("Street", "City", "State", "Country")
DOCUMENT_FIELDS = (
    "Subject",
    "Contact_Name",
    "Account_Name",
    "Grand_Total",
    "Modified_Time",
)
# Invoices have a Status; Quotes call theirs Quote_Stage (asking a module for
# a field it lacks is refused with INVALID_DATA).
INVOICE_FIELDS = (*DOCUMENT_FIELDS, "Status", "QuickBooks_Invoice_Id", "QBSYNC")
QUOTE_FIELDS = (*DOCUMENT_FIELDS, "Quote_Stage", "QuickBooks_Estimate_Id", "QBSYNC")

MODULES: dict[str, ModuleSpec] = {
    "contact": ModuleSpec(
        "contact",
        "Contacts",
        "contact_from_zoho",
        "contact_to_zoho",
        (
            "First_Name",
            "Last_Name",
            "Email",
            "Phone",
            "Mobile",
            "Account_Name",
            "QuickBooks_Customer_Id",
            "Modified_Time",
        ),
        match_fields=(("Email", "email"),),
    ),
    "account": ModuleSpec(
        "account",
        "Accounts",
        "account_from_zoho",
        "account_to_zoho",
        (
            "Account_Name",
            "Phone",
            *(f"Billing_{part}" for part in ADDRESS),
            "Billing_Code",
            "Modified_Time",
        ),
        match_fields=(("Account_Name", "name"),),
    ),
    "product": ModuleSpec(
        "product",
        "Products",
        "product_from_zoho",
        "product_to_zoho",
        (
            "Product_Name",
            "Description",
            "Unit_Price",
            "Product_Code",
            "Taxable",
            "Product_Active",
            "Fetch_Product_Details",
            "QuickBooks_Item_Id",
            "Modified_Time",
        ),
        match_fields=(("Product_Name", "name"),),
        deactivate_field="Product_Active",
    ),
    "vendor": ModuleSpec(
        "vendor",
        "Vendors",
        "vendor_from_zoho",
        "vendor_to_zoho",
        (
            "Vendor_Name",
            "Email",
            "Phone",
            "Website",
            *ADDRESS,
            "Zip_Code",
            "Modified_Time",
        ),
        match_fields=(("Email", "email"), ("Vendor_Name", "name")),
    ),
    "invoice": ModuleSpec(
        "invoice",
        "Invoices",
        "invoice_from_zoho",
        "document_to_zoho",
        INVOICE_FIELDS,
        line_items=True,
    ),
    "quote": ModuleSpec(
        "quote",
        "Quotes",
        "quote_from_zoho",
        "document_to_zoho",
        QUOTE_FIELDS,
        line_items=True,
    ),
}
ENTITY_OF_MODULE = {spec.module: entity for entity, spec in MODULES.items()}
WATCHED_EVENTS = tuple(f"{spec.module}.all" for spec in MODULES.values())


def spec_of(entity: str) -> ModuleSpec:
    try:
        return MODULES[entity]
    except KeyError:
        raise LookupError(
            f"the crm-gateway does not handle entity {entity!r}"
        ) from None
