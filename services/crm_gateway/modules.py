"""Bus entity → Zoho module: names, list fields, match keys, translation.

One ``EntitySpec`` per module (``common/gateway/entities.py``), with the
translation functions themselves: ``*_from_zoho(data, field_map)`` →
``(record, version)`` and ``*_to_zoho(record, fields=, existing_id=,
field_map=)`` → a write body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from common.gateway.entities import EntitySpec
from common.translation.fieldmap import FieldMap
from services.crm_gateway.translation import (
    account_from_zoho,
    account_to_zoho,
    contact_from_zoho,
    contact_to_zoho,
    document_to_zoho,
    invoice_from_zoho,
    product_from_zoho,
    product_to_zoho,
    quote_from_zoho,
    vendor_from_zoho,
    vendor_to_zoho,
)


class ZohoWriter(Protocol):
    """Every Zoho writer takes the same arguments: a create body, or with
    ``existing_id`` an update of ``fields``."""

    def __call__(
        self,
        record: Any,  # the module's own record type (Party, Product, ...)
        /,
        *,
        fields: Sequence[str] = ...,
        existing_id: str | None = ...,
        field_map: FieldMap | None = ...,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, kw_only=True)
class ModuleSpec(EntitySpec[ZohoWriter]):
    """The shared spec, read under the names the crm-gateway's code uses."""

    @property
    def entity(self) -> str:
        return self.bus

    @property
    def module(self) -> str:
        return self.api


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
    spec.bus: spec
    for spec in (
        ModuleSpec(
            bus="contact",
            api="Contacts",
            read=contact_from_zoho,
            write=contact_to_zoho,
            list_fields=(
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
        ModuleSpec(
            bus="account",
            api="Accounts",
            read=account_from_zoho,
            write=account_to_zoho,
            list_fields=(
                "Account_Name",
                "Phone",
                *(f"Billing_{part}" for part in ADDRESS),
                "Billing_Code",
                "Modified_Time",
            ),
            match_fields=(("Account_Name", "name"),),
        ),
        ModuleSpec(
            bus="product",
            api="Products",
            read=product_from_zoho,
            write=product_to_zoho,
            list_fields=(
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
        ModuleSpec(
            bus="vendor",
            api="Vendors",
            read=vendor_from_zoho,
            write=vendor_to_zoho,
            list_fields=(
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
        ModuleSpec(
            bus="invoice",
            api="Invoices",
            read=invoice_from_zoho,
            write=document_to_zoho,
            list_fields=INVOICE_FIELDS,
            line_items=True,
        ),
        ModuleSpec(
            bus="quote",
            api="Quotes",
            read=quote_from_zoho,
            write=document_to_zoho,
            list_fields=QUOTE_FIELDS,
            line_items=True,
        ),
    )
}
ENTITY_OF_MODULE = {spec.api: entity for entity, spec in MODULES.items()}
WATCHED_EVENTS = tuple(f"{spec.api}.all" for spec in MODULES.values())


def spec_of(entity: str) -> ModuleSpec:
    try:
        return MODULES[entity]
    except KeyError:
        raise LookupError(
            f"the crm-gateway does not handle entity {entity!r}"
        ) from None
