"""Zoho line items (Invoiced_Items / Quoted_Items) ⇄ canonical DocumentLines.

Keys: ``List_Price`` (Zoho's samples also spell it ``list_price`` and
``ListPrice``; ``Quantity``/``Discount`` also come lower-case) is read under
any spelling and written as ``List_Price``. ``Discount`` is an amount.
``Line_Tax`` ``[{name, percentage}]`` becomes tax_code "Sales Tax 10%; Vat 1%"
(every tax kept, so it can be written back) and tax_rate the sum.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from common.records import DocumentLine
from common.translation.discounts import spread_discount
from common.translation.fields import prune
from common.translation.lines import linked_lines
from common.translation.money import cents, json_number, tidy
from common.translation.reader import Reader

ALIASES = {
    "List_Price": ("List_Price", "list_price", "ListPrice"),
    "Quantity": ("Quantity", "quantity"),
    "Discount": ("Discount", "discount"),
}
TAX_ENTRY = re.compile(r"^(.+) (-?\d+(?:\.\d+)?)%$")


def lines_from_zoho(
    reader: Reader, items_key: str, document_discount: Decimal | None
) -> tuple[DocumentLine, ...]:
    rows = [_row_reader(reader, row) for row in reader.records(items_key)]
    lines = [_line(row, f"{items_key}[{n}]") for n, row in enumerate(rows)]
    if not document_discount:
        return tuple(lines)
    # A document-level discount is spread over the lines, as QBO's is.
    gross = [cents(line.quantity * line.unit_price) - line.discount for line in lines]
    shares = spread_discount(document_discount, gross)
    return tuple(
        line.model_copy(
            update={
                "discount": tidy(line.discount + share),
                "amount": tidy((line.amount or Decimal(0)) - share),
            }
        )
        for line, share in zip(lines, shares, strict=True)
    )


def _row_reader(document: Reader, row: dict[str, Any]) -> Reader:
    reader = Reader(document.entity, row, id_key="id")
    reader.record_id = document.record_id
    return reader


def _value(row: Reader, key: str, where: str, required: bool) -> Decimal | None:
    for spelling in ALIASES[key]:
        value = row.decimal(spelling)
        if value is not None:
            return value
    if required:
        raise row.fail(f"{where}.{key}", "is required and missing")
    return None


def _line(row: Reader, where: str) -> DocumentLine:
    quantity = _value(row, "Quantity", where, required=True) or Decimal(0)
    price = _value(row, "List_Price", where, required=True) or Decimal(0)
    discount = _value(row, "Discount", where, required=False) or Decimal(0)
    stated = row.decimal("Total_After_Discount")
    taxes = row.records("Line_Tax")
    return DocumentLine(
        product_id=row.text("Product_Name.id"),
        product_name=row.text("Product_Name.name"),
        description=row.text("Description"),
        quantity=quantity,
        unit_price=price,
        discount=discount,
        tax_code=_tax_code(row, taxes, where),
        tax_rate=_tax_rate(row, taxes, where),
        amount=stated
        if stated is not None
        else tidy(cents(quantity * price) - discount),
    )


def _tax_code(row: Reader, taxes: list[dict[str, Any]], where: str) -> str | None:
    entries = []
    for n, tax in enumerate(taxes):
        name, percentage = tax.get("name"), tax.get("percentage")
        if not name or percentage is None:
            raise row.fail(f"{where}.Line_Tax[{n}]", "needs a name and a percentage")
        entries.append(f"{name} {_percent(row, percentage, where)}%")
    return "; ".join(entries) or None


def _tax_rate(row: Reader, taxes: list[dict[str, Any]], where: str) -> Decimal | None:
    if not taxes:
        return None
    rates = [_percent(row, tax.get("percentage"), where) for tax in taxes]
    return tidy(sum(rates, Decimal(0)))


def _percent(row: Reader, value: Any, where: str) -> Decimal:
    percentage = Reader(row.entity, {"p": value}).decimal("p")
    if percentage is None:
        raise row.fail(f"{where}.Line_Tax", f"bad percentage {value!r}")
    return percentage


def lines_to_zoho(
    lines: tuple[DocumentLine, ...], *, module: str, record_id: str | None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for line in linked_lines(lines, document=module, record_id=record_id):
        row: dict[str, Any] = {
            # Zoho goes by the id; the name is informational.
            "Product_Name": prune({"id": line.product_id, "name": line.product_name}),
            "Quantity": json_number(line.quantity),
            "List_Price": json_number(line.unit_price),
            "Discount": json_number(line.discount),
            "Description": line.description,
        }
        taxes = zoho_line_taxes(line.tax_code)
        if taxes:
            row["Line_Tax"] = taxes
        rows.append(row)
    return rows


def zoho_line_taxes(tax_code: str | None) -> list[dict[str, Any]]:
    """Line_Tax from a tax_code read from Zoho; QBO codes (TAX, NON, ids) are
    not Zoho taxes, so they give none."""
    taxes: list[dict[str, Any]] = []
    for entry in (tax_code or "").split(";"):
        match = TAX_ENTRY.match(entry.strip())
        if match is not None:
            percentage = json_number(Decimal(match[2]))
            taxes.append({"name": match[1], "percentage": percentage})
    return taxes
