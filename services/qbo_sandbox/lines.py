"""Sales-form lines: Ids and LineNum, Amount = Qty x UnitPrice, discounts,
and the SubTotalLineDetail line the server appends."""

from __future__ import annotations

from typing import Any

from services.qbo_sandbox import errors
from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.fields import as_number, money, resolve_ref

NUMBERED = ("SalesItemLineDetail", "DescriptionOnly")
KNOWN = (*NUMBERED, "DiscountLineDetail", "SubTotalLineDetail")


def build_lines(
    company: Company, lines: Any, old_lines: list[Record]
) -> tuple[list[Record], float]:
    """The stored lines and the subtotal after discounts."""
    if not isinstance(lines, list) or not lines:
        raise errors.required_missing("Line")
    known_ids = {str(line["Id"]) for line in old_lines if "Id" in line}
    next_id = max((int(i) for i in known_ids if i.isdigit()), default=0) + 1
    numbered: list[Record] = []
    discounts: list[Record] = []
    for raw in lines:
        line = dict(raw) if isinstance(raw, dict) else {}
        kind = line.get("DetailType")
        if kind not in KNOWN:
            raise errors.invalid_enum("Line.DetailType", kind)
        if kind == "SubTotalLineDetail":
            continue
        if kind == "DiscountLineDetail":
            # Only item and description lines are numbered; Intuit's Estimate
            # sample has its discount line without Id or LineNum.
            line.pop("Id", None)
            line.pop("LineNum", None)
            discounts.append(line)
            continue
        if str(line.get("Id")) not in known_ids:
            line["Id"] = str(next_id)
            next_id += 1
        if kind == "SalesItemLineDetail":
            sales_line(company, line)
        else:
            line["Amount"] = money(as_number(line.get("Amount", 0), "Line.Amount"))
        numbered.append(line)
    for position, line in enumerate(numbered, start=1):
        line["LineNum"] = position
    subtotal = money(sum(float(line["Amount"]) for line in numbered))
    subtotal_line = {
        "DetailType": "SubTotalLineDetail",
        "Amount": subtotal,
        "SubTotalLineDetail": {},
    }
    discount_total = sum(discount_line(company, line, subtotal) for line in discounts)
    return [*numbered, subtotal_line, *discounts], money(subtotal - discount_total)


def sales_line(company: Company, line: Record) -> None:
    detail = line.get("SalesItemLineDetail")
    detail = dict(detail) if isinstance(detail, dict) else {}
    if detail.get("ServiceDate") == "":
        del detail["ServiceDate"]  # an empty date is no date, as in QBO
    if "ItemRef" not in detail:
        # QBO falls back to the company's default "Services" item.
        detail["ItemRef"] = {"value": "1"}
    resolve_ref(company, "Item", detail["ItemRef"], "ItemRef", "Name")
    line["Amount"] = line_amount(line, detail)
    tax_ref = detail.get("TaxCodeRef")
    code = str(tax_ref.get("value")) if isinstance(tax_ref, dict) else "NON"
    if company.get("TaxCode", code) is None:
        raise errors.invalid_reference("TaxCodeRef")
    detail["TaxCodeRef"] = {"value": code}  # a line's tax code comes back bare
    line["SalesItemLineDetail"] = detail


def line_amount(line: Record, detail: Record) -> float:
    """QBO computes Amount from Qty x UnitPrice only when Amount is absent,
    and checks it against them only when both are given and non-zero (a 0
    is what python-quickbooks sends for an unset Qty or UnitPrice)."""
    qty = optional_number(detail, "Qty")
    price = optional_number(detail, "UnitPrice")
    if line.get("Amount") is None:
        if qty is None or price is None:
            raise errors.required_missing("Line.Amount")
        return money(qty * price)
    amount = money(as_number(line["Amount"], "Line.Amount"))
    if qty and price and abs(money(qty * price) - amount) > 0.005:
        raise errors.business_rule(
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{line['Amount']}",
            code="6070",
        )
    return amount


def optional_number(detail: Record, key: str) -> float | None:
    value = detail.get(key)
    return None if value is None else as_number(value, key)


def discount_line(company: Company, line: Record, subtotal: float) -> float:
    detail = line.get("DiscountLineDetail")
    detail = dict(detail) if isinstance(detail, dict) else {}
    if detail.get("PercentBased"):
        percent = as_number(detail.get("DiscountPercent", 0), "DiscountPercent")
        amount = money(subtotal * percent / 100)
    else:
        amount = money(as_number(line.get("Amount", 0), "Line.Amount"))
    if "DiscountAccountRef" in detail:
        resolve_ref(
            company,
            "Account",
            detail["DiscountAccountRef"],
            "DiscountAccountRef",
            "Name",
        )
    line["DiscountLineDetail"] = detail
    line["Amount"] = amount
    return amount


def zero_lines(lines: list[Record]) -> None:
    for line in lines:
        line["Amount"] = 0.0
        detail = line.get("SalesItemLineDetail")
        if isinstance(detail, dict) and "UnitPrice" in detail:
            detail["UnitPrice"] = 0
