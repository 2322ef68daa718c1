"""Customer and Vendor: the name-list entities that share one DisplayName
namespace (with Employee, which this sandbox does not simulate)."""

from __future__ import annotations

from services.qbo_sandbox import errors
from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.fields import check_lengths, writable_part
from services.qbo_sandbox.meta import USD, new_address_id
from services.qbo_sandbox.write_context import WriteContext

NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
LIMITS = {
    "DisplayName": 500,
    "Title": 16,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "Suffix": 16,
    "CompanyName": 100,
    "Notes": 2000,
    "PrintOnCheckName": 110,
}
COMPUTED = ("Balance", "BalanceWithJobs", "FullyQualifiedName")
SHARED_NAMESPACE = ("Customer", "Vendor")


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def find_display_name(company: Company, name: str) -> Record | None:
    """Inactive records keep their name: QBO still counts them."""
    wanted = name_key(name)
    for entity in SHARED_NAMESPACE:
        for record in company.table(entity).values():
            if name_key(record.get("DisplayName", "")) == wanted:
                return record
    return None


def build_party(
    company: Company, entity: str, body: Record, old: Record | None, ctx: WriteContext
) -> Record:
    record = {k: v for k, v in writable_part(body).items() if k not in COMPUTED}
    display = record.get("DisplayName")
    if not isinstance(display, str) or not display.strip():
        parts = [str(record[p]) for p in NAME_PARTS if record.get(p)]
        display = " ".join(parts)
    if not display.strip():
        raise errors.required_missing("DisplayName")
    record["DisplayName"] = display.strip()
    check_lengths(record, LIMITS)
    for part in (*NAME_PARTS, "DisplayName"):
        value = record.get(part)
        if isinstance(value, str) and any(ch in value for ch in ":\t\n"):
            raise errors.business_rule(
                f"{part} cannot contain a colon (:), a tab or a newline."
            )
    check_email(record)
    clash = find_display_name(company, record["DisplayName"])
    if clash is not None and (old is None or clash is not old):
        raise errors.duplicate_name()
    for key in ("BillAddr", "ShipAddr"):
        new_address_id(company, record.get(key))
    record.setdefault("Active", True)
    record["FullyQualifiedName"] = record["DisplayName"]
    record.setdefault(
        "PrintOnCheckName", record.get("CompanyName") or record["DisplayName"]
    )
    record.setdefault("CurrencyRef", dict(USD))
    record["Balance"] = old.get("Balance", 0) if old else 0
    if entity == "Customer":
        record.setdefault("Taxable", True)
        record.setdefault("Job", False)
        record.setdefault("BillWithParent", False)
        record.setdefault("PreferredDeliveryMethod", "Print")
        record["BalanceWithJobs"] = old.get("BalanceWithJobs", 0) if old else 0
    else:
        record.setdefault("Vendor1099", False)
    return record


def check_email(record: Record) -> None:
    email = record.get("PrimaryEmailAddr")
    if email is None:
        return
    address = email.get("Address") if isinstance(email, dict) else None
    if address is None:
        return
    local, _, domain = str(address).partition("@")
    if not local or "." not in domain or " " in str(address):
        raise errors.business_rule(
            "Email Address does not conform to the syntax rules of RFC 822. "
            f"Supplied value:{address}"
        )
