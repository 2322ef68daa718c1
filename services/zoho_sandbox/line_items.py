"""Line-item rows (Invoiced_Items / Quoted_Items) and the totals Zoho computes."""

from __future__ import annotations

from typing import Any

from .org import Org, Record

# Zoho's own samples disagree on the list-price key (`List_Price`, `ListPrice`,
# `list_price`); the sandbox takes all three and answers with `List_Price`.
ROW_ALIASES = {
    "list_price": "List_Price",
    "ListPrice": "List_Price",
    "quantity": "Quantity",
    "discount": "Discount",
    "product": "Product_Name",
    "description": "Description",
}
COMPUTED = ("Total", "Total_After_Discount", "Tax", "Net_Total", "total", "net_total")


def normalise_row(row: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in row.items():
        if key in COMPUTED:
            continue
        clean[ROW_ALIASES.get(key, key)] = value
    return clean


def merge_rows(
    org: Org, new_rows: list[dict[str, Any]], old_rows: list[Record]
) -> list[Record]:
    """Rows sent with an `id` update that row; rows without one are added; rows
    left out of the list are removed (the list replaces the old one)."""
    by_id = {row["id"]: row for row in old_rows}
    merged: list[Record] = []
    for row in new_rows:
        if "_delete" in row:
            continue
        existing = by_id.get(str(row.get("id"))) if row.get("id") else None
        base = dict(existing) if existing else {"id": org.new_id()}
        base.update({k: v for k, v in row.items() if k != "id"})
        merged.append(base)
    return merged


def _money(value: float) -> float:
    return round(value + 0.0, 2)


def compute_row(row: Record, unit_price: float | None) -> None:
    if row.get("List_Price") is None:
        row["List_Price"] = unit_price if unit_price is not None else 0.0
    quantity = float(row.get("Quantity") or 0)
    total = quantity * float(row["List_Price"])
    discount = float(row.get("Discount") or 0)
    after_discount = total - discount
    rate = sum(float(tax.get("percentage", 0)) for tax in row.get("Line_Tax") or [])
    tax = after_discount * rate / 100
    row["Discount"] = _money(discount)
    row["Total"] = _money(total)
    row["Total_After_Discount"] = _money(after_discount)
    row["Tax"] = _money(tax)
    row["Net_Total"] = _money(after_discount + tax)


def compute_totals(record: Record, rows: list[Record]) -> None:
    sub_total = sum(row["Net_Total"] for row in rows)
    discount = float(record.get("Discount") or 0)
    rate = sum(float(t.get("percentage", 0)) for t in record.get("$line_tax") or [])
    tax = (sub_total - discount) * rate / 100
    adjustment = float(record.get("Adjustment") or 0)
    record["Sub_Total"] = _money(sub_total)
    record["Tax"] = _money(tax)
    record["Grand_Total"] = _money(sub_total - discount + tax + adjustment)
