"""QBO sales-form lines ⇄ canonical DocumentLines (see discounts.py, taxes.py).

Server-added SubTotalLineDetail lines are skipped; GroupLineDetail bundles are
read as their component lines; DescriptionOnly lines carry no product and no
money, and are skipped (the CRM needs a product on every line).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from common.records import DocumentLine
from common.translation.fields import prune
from common.translation.lines import linked_lines
from common.translation.money import cents, json_number, tidy
from common.translation.reader import Reader
from services.qbo_gateway.translation.discounts import describe_split, split_discount
from services.qbo_gateway.translation.taxes import line_tax_rate, tax_code_for_qbo

SALES = "SalesItemLineDetail"
DISCOUNT = "DiscountLineDetail"


def lines_from_qbo(reader: Reader) -> tuple[DocumentLine, ...]:
    sales = [
        Reader(reader.entity, line, "Id")
        for line in _flatten(reader.records("Line"))
        if line.get("DetailType") == SALES
    ]
    for line in sales:
        line.record_id = reader.record_id
    discount_lines = [
        line for line in reader.records("Line") if line.get("DetailType") == DISCOUNT
    ]
    gross = [line.required_decimal("Amount") for line in sales]
    total_discount = sum(
        (
            Reader(reader.entity, line).required_decimal("Amount")
            for line in discount_lines
        ),
        Decimal(0),
    )
    note = discount_lines[0].get("Description") if discount_lines else None
    shares = split_discount(total_discount, gross, note)
    rate = line_tax_rate(reader)
    return tuple(
        _line(line, amount, share, rate)
        for line, amount, share in zip(sales, gross, shares, strict=True)
    )


def _flatten(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for line in lines:
        group = line.get("GroupLineDetail")
        if line.get("DetailType") == "GroupLineDetail" and isinstance(group, dict):
            flat.extend(g for g in group.get("Line") or [] if isinstance(g, dict))
        else:
            flat.append(line)
    return flat


def _line(
    line: Reader, gross: Decimal, discount: Decimal, rate: Decimal | None
) -> DocumentLine:
    detail = SALES
    quantity = line.decimal(f"{detail}.Qty")
    price = line.decimal(f"{detail}.UnitPrice")
    if quantity is None:
        quantity = Decimal(1) if price is None else _quantity(gross, price)
    if price is None:
        price = tidy(gross / quantity) if quantity else gross
    code = line.text(f"{detail}.TaxCodeRef.value")
    return DocumentLine(
        product_id=line.text(f"{detail}.ItemRef.value"),
        product_name=line.text(f"{detail}.ItemRef.name"),
        description=line.text("Description"),
        quantity=quantity,
        unit_price=price,
        discount=discount,
        tax_code=code,
        tax_rate=rate if code and code != "NON" else None,
        amount=tidy(gross - discount),
    )


def _quantity(gross: Decimal, price: Decimal) -> Decimal:
    return tidy(gross / price) if price else Decimal(1)


def lines_to_qbo(
    lines: tuple[DocumentLine, ...],
    *,
    entity: str,
    record_id: str | None,
    tax_codes: Mapping[str, str],
    us_tax: bool,
    discount_account_id: str | None,
) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    for line in linked_lines(lines, document=entity, record_id=record_id):
        detail: dict[str, Any] = {
            # QBO goes by the id; the name is informational and QBO fills it in.
            "ItemRef": prune({"value": line.product_id, "name": line.product_name}),
            "Qty": json_number(line.quantity),
            "UnitPrice": json_number(line.unit_price),
        }
        code = tax_code_for_qbo(line, tax_codes, us_tax=us_tax)
        if code is not None:
            detail["TaxCodeRef"] = {"value": code}
        entry: dict[str, Any] = {
            "DetailType": SALES,
            "Amount": json_number(cents(line.quantity * line.unit_price)),
            SALES: detail,
        }
        if line.description:
            entry["Description"] = line.description
        body.append(entry)
    discounts = [line.discount for line in lines]
    if any(discounts):
        detail = {"PercentBased": False}
        if discount_account_id:
            detail["DiscountAccountRef"] = {"value": discount_account_id}
        body.append(
            {
                "DetailType": DISCOUNT,
                "Amount": json_number(sum(discounts, Decimal(0))),
                "Description": describe_split(discounts),
                DISCOUNT: detail,
            }
        )
    return body
