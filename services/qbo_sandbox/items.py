"""Item (products and services): unique Name, Type-specific accounts."""

from __future__ import annotations

from services.qbo_sandbox import errors
from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.fields import (
    check_lengths,
    require,
    resolve_ref,
    writable_part,
)
from services.qbo_sandbox.parties import name_key
from services.qbo_sandbox.write_context import WriteContext

TYPES = ("Inventory", "Service", "NonInventory")
LIMITS = {"Name": 100, "Sku": 100, "Description": 4000, "PurchaseDesc": 1000}
INVENTORY_REQUIRED = (
    "ExpenseAccountRef",
    "AssetAccountRef",
    "InvStartDate",
    "QtyOnHand",
    "TrackQtyOnHand",
)


def find_item_name(company: Company, name: str) -> Record | None:
    wanted = name_key(name)
    for record in company.table("Item").values():
        if name_key(record.get("Name", "")) == wanted:
            return record
    return None


def build_item(
    company: Company, entity: str, body: Record, old: Record | None, ctx: WriteContext
) -> Record:
    record = {k: v for k, v in writable_part(body).items() if k != "FullyQualifiedName"}
    name = require(record, "Name")
    if not isinstance(name, str) or any(ch in name for ch in ":\t\n"):
        raise errors.business_rule(
            "Item name cannot contain a colon (:), tab or newline."
        )
    record["Name"] = name.strip()
    check_lengths(record, LIMITS)
    item_type = require(record, "Type")
    if item_type not in TYPES:
        raise errors.invalid_enum("Type", item_type)
    clash = find_item_name(company, record["Name"])
    if clash is not None and (old is None or clash is not old):
        raise errors.duplicate_name(
            f"The name supplied already exists. : Id={clash['Id']}"
        )
    if item_type in ("Service", "Inventory"):
        require(record, "IncomeAccountRef")
    if item_type == "Inventory":
        for key in INVENTORY_REQUIRED:
            require(record, key)
        if record["TrackQtyOnHand"] is not True:
            raise errors.business_rule("Inventory items must track quantity on hand.")
    if (
        old is not None
        and old.get("TrackQtyOnHand")
        and not record.get("TrackQtyOnHand")
    ):
        raise errors.business_rule("You can't turn off quantity tracking for an item.")
    for key in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        if key in record:
            resolve_ref(company, "Account", record[key], key, "FullyQualifiedName")
    if "SalesTaxCodeRef" in record:
        resolve_ref(
            company, "TaxCode", record["SalesTaxCodeRef"], "SalesTaxCodeRef", "Name"
        )
    record.setdefault("Active", True)
    record["FullyQualifiedName"] = record["Name"]
    record.setdefault("Taxable", False)
    record.setdefault("UnitPrice", 0)
    record.setdefault("PurchaseCost", 0)
    record.setdefault("TrackQtyOnHand", False)
    return record
