"""Invoice and Estimate: customer and item references, computed totals,
DocNumber sequence and duplicates, dates from terms."""

from __future__ import annotations

from datetime import date, timedelta

from services.qbo_sandbox import errors
from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.fields import (
    as_number,
    check_lengths,
    money,
    require,
    resolve_ref,
    writable_part,
)
from services.qbo_sandbox.lines import build_lines
from services.qbo_sandbox.meta import new_address_id
from services.qbo_sandbox.write_context import WriteContext

COMPUTED = ("TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance")
ESTIMATE_STATUSES = ("Pending", "Accepted", "Closed", "Rejected")
EMAIL_STATUSES = ("NotSet", "NeedToSend", "EmailSent")
# Date fields a client may send as "" (python-quickbooks sends every unset
# date that way); QBO takes an empty date as not given.
DATES = ("TxnDate", "DueDate", "ShipDate", "ExpirationDate", "AcceptedDate")


def build_txn(
    company: Company, entity: str, body: Record, old: Record | None, ctx: WriteContext
) -> Record:
    record = {
        k: v
        for k, v in writable_part(body).items()
        if k not in COMPUTED and not (k in DATES and v == "")
    }
    check_lengths(record, {"DocNumber": 21, "PrivateNote": 4000})
    customer = resolve_ref(
        company,
        "Customer",
        require(record, "CustomerRef"),
        "CustomerRef",
        "DisplayName",
    )
    lines, net = build_lines(company, record.get("Line"), old["Line"] if old else [])
    record["Line"] = lines
    tax = record.get("TxnTaxDetail")
    tax = dict(tax) if isinstance(tax, dict) else {}
    total_tax = money(as_number(tax.get("TotalTax", 0), "TotalTax"))
    tax["TotalTax"] = total_tax if total_tax else 0
    record["TxnTaxDetail"] = tax
    total = money(net + tax["TotalTax"])
    record["TotalAmt"] = total
    if entity == "Invoice":
        record["Balance"] = total
        record.setdefault("Deposit", 0)
    else:
        status = record.setdefault("TxnStatus", "Pending")
        if status not in ESTIMATE_STATUSES:
            raise errors.invalid_enum("TxnStatus", status)
    apply_dates(company, record, ctx)
    assign_doc_number(company, entity, record, old, ctx)
    for key in ("BillAddr", "ShipAddr"):
        if key not in record and isinstance(customer.get(key), dict):
            record[key] = dict(customer[key])
        new_address_id(company, record.get(key))
    if "BillEmail" not in record and isinstance(customer.get("PrimaryEmailAddr"), dict):
        record["BillEmail"] = dict(customer["PrimaryEmailAddr"])
    email_status = record.setdefault("EmailStatus", "NotSet")
    if email_status not in EMAIL_STATUSES:
        raise errors.invalid_enum("EmailStatus", email_status)
    if email_status == "NeedToSend" and not record.get("BillEmail"):
        raise errors.business_rule(
            "Need to specify BillEmail when EmailStatus is NeedToSend."
        )
    record.setdefault("PrintStatus", "NeedToPrint")
    record.setdefault("ApplyTaxAfterDiscount", False)
    record.setdefault("LinkedTxn", [])
    return record


def apply_dates(company: Company, record: Record, ctx: WriteContext) -> None:
    today = ctx.now.astimezone(company.tz).date()
    txn_date = parse_day(record.setdefault("TxnDate", today.isoformat()), "TxnDate")
    if "SalesTermRef" in record:
        term = resolve_ref(
            company, "Term", record["SalesTermRef"], "SalesTermRef", "Name"
        )
    else:
        preferences = company.get("Preferences", "1") or {}
        default = preferences.get("SalesFormsPrefs", {}).get("DefaultTerms", {})
        term = company.get("Term", str(default.get("value"))) or {"DueDays": 0}
    if "DueDate" not in record:
        due = txn_date + timedelta(days=int(term.get("DueDays", 0)))
        record["DueDate"] = due.isoformat()
    parse_day(record["DueDate"], "DueDate")


def parse_day(value: object, element: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise errors.request_malformed(
            f"Property {element} has an invalid date {value!r}"
        ) from None


def assign_doc_number(
    company: Company, entity: str, record: Record, old: Record | None, ctx: WriteContext
) -> None:
    doc = record.get("DocNumber")
    if not doc:
        if old is not None and old.get("DocNumber"):
            record["DocNumber"] = old["DocNumber"]
            return
        used = {str(other.get("DocNumber")) for other in company.table(entity).values()}
        number = str(company.next_number(f"doc:{entity}", start=1001))
        while number in used:
            number = str(company.next_number(f"doc:{entity}", start=1001))
        record["DocNumber"] = number
        return
    if ctx.allow_duplicate_doc_number or (
        old is not None and old.get("DocNumber") == doc
    ):
        return
    for other in company.table(entity).values():
        if other.get("DocNumber") == doc and other is not old:
            raise errors.duplicate_doc_number(str(doc), entity, other["Id"])
