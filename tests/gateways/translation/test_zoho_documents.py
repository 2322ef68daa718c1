"""Zoho Invoices and Quotes, and documents crossing from one system to the other."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from common.hashing import content_hash
from common.records import DocumentLine, SalesDocument
from services.crm_gateway.translation import (
    TranslationError,
    document_to_zoho,
    invoice_from_zoho,
    quote_from_zoho,
)
from services.qbo_gateway.translation import document_to_qbo, invoice_from_qbo

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "zoho"
pytestmark = pytest.mark.unit
STAMP = {"Modified_Time": "2026-09-01T10:00:00+05:30"}


def inserted(name: str) -> dict[str, Any]:
    record = json.loads((FIXTURES / name).read_text())["data"][0]
    return {**record, "id": "5725767000000000001", **STAMP}


def test_invoice_sample() -> None:
    document, version = invoice_from_zoho(inserted("invoices.insert.request.json"))
    assert document.lines == (
        DocumentLine(
            product_id="5725767000011358006",
            product_name="CRM Enterprise Suite",
            quantity=Decimal(90),
            unit_price=Decimal(999),
            discount=Decimal(5),
            amount=Decimal(89905),
        ),
    )
    assert document.model_dump(exclude_defaults=True, exclude={"lines"}) == {
        "kind": "invoice",
        "number": "INV-3021",
        "subject": "Invoice for Bentley Systems Renewal",
        "party_id": "5725767000011356002",
        "account_id": "5725767000011373001",
        "issue_date": document.issue_date,
        "due_date": document.due_date,
        "total": Decimal(85000),
        "notes": "Renewal invoice",
        "terms": "Payment due within 30 days",
        # an insert request has no Currency, Status (nor Zoho a void)
        "not_carried": ("currency", "status", "voided"),
    }
    assert str(document.issue_date) == "2026-09-01"
    assert version.sequence is None


def test_quote_sample_needs_a_list_price_then_keeps_every_tax() -> None:
    data = inserted("quotes.insert.request.json")
    # An insert may leave List_Price out (Zoho takes the product's price);
    # a record read back always has it.
    with pytest.raises(TranslationError, match=r"Quoted_Items\[0\].List_Price"):
        quote_from_zoho(data)
    data["Quoted_Items"][0]["List_Price"] = 12.5
    document, _ = quote_from_zoho(data)
    (line,) = document.lines
    assert (line.tax_code, line.tax_rate) == ("Sales Tax 10%; Vat 1%", Decimal(11))
    assert line.amount == Decimal(1250)
    body = document_to_zoho(document)
    assert body["Quoted_Items"][0]["Line_Tax"] == [
        {"name": "Sales Tax", "percentage": 10},
        {"name": "Vat", "percentage": 1},
    ]
    assert "Quote_Number" not in body


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("invoices.insert.request.json", invoice_from_zoho),
        ("quotes.insert.request.json", quote_from_zoho),
    ],
)
def test_document_round_trip_is_a_fixed_point(name: str, reader: Any) -> None:
    data = inserted(name)
    for row in data.get("Quoted_Items", []):
        row["List_Price"] = 12.5
    first, _ = reader(data)
    body = document_to_zoho(first)
    # Numbers are autonumbers and totals computed: Zoho sends them back.
    echoed = {**body, "id": data["id"], **STAMP}
    for key in ("Invoice_Number", "Quote_Number", "Grand_Total"):
        if key in data:
            echoed[key] = data[key]
    second, _ = reader(echoed)
    assert second == first


def test_hash_ignores_owner_markers_and_computed_row_fields() -> None:
    data = inserted("invoices.insert.request.json")
    noisy = {
        **data,
        "Owner": {"id": "x"},
        "Modified_By": {"id": "y"},
        "QuickBooks_Invoice_Id": "238",
        "QBSYNC": True,
        "Purchase_Order": "other",
    }
    assert content_hash(invoice_from_zoho(noisy)[0]) == content_hash(
        invoice_from_zoho(data)[0]
    )


def test_document_discount_is_spread_and_written_back_on_the_lines() -> None:
    data = {
        "id": "1",
        **STAMP,
        "Subject": "S",
        "Discount": 10,
        "Invoiced_Items": [
            {"Product_Name": {"id": "p1"}, "Quantity": 1, "List_Price": 60},
            {"Product_Name": {"id": "p2"}, "Quantity": 2, "List_Price": 20},
        ],
    }
    document, _ = invoice_from_zoho(data)
    assert [line.discount for line in document.lines] == [Decimal(6), Decimal(4)]
    body = document_to_zoho(document)
    assert body["Discount"] == 0
    assert [row["Discount"] for row in body["Invoiced_Items"]] == [6, 4]
    assert invoice_from_zoho({**body, "id": "1", **STAMP})[0] == document


def test_lower_case_row_keys_from_the_oas_sample_are_read() -> None:
    row = inserted("invoices.insert.request.json")["Invoiced_Items"][0]
    assert {"quantity", "list_price", "discount"} <= set(row)


def test_stated_row_total_wins_over_our_arithmetic() -> None:
    data = {
        "id": "1",
        **STAMP,
        "Subject": "S",
        "Invoiced_Items": [
            {
                "Product_Name": {"id": "p"},
                "Quantity": 3,
                "List_Price": 0.1,
                "Total_After_Discount": 0.3,
            }
        ],
    }
    (line,) = invoice_from_zoho(data)[0].lines
    assert line.amount == Decimal("0.3")
    assert json.dumps(document_to_zoho(invoice_from_zoho(data)[0])).count("0.1") == 1


def test_qbo_invoice_becomes_a_zoho_invoice_with_a_subject() -> None:
    document = SalesDocument(
        kind="invoice",
        number="1037",
        party_id="c1",
        lines=(
            DocumentLine(product_id="p", unit_price=Decimal("9.5"), tax_code="TAX"),
        ),
    )
    body = document_to_zoho(document)
    assert body["Subject"] == "Invoice 1037"
    assert "Line_Tax" not in body["Invoiced_Items"][0]


def test_quote_has_no_issue_date_and_uses_valid_till() -> None:
    document = SalesDocument(
        kind="estimate",
        issue_date="2026-01-01",
        due_date="2026-02-01",
        status="Draft",
    )
    body = document_to_zoho(
        document, fields=["issue_date", "due_date", "status"], existing_id="q"
    )
    assert body == {"id": "q", "Valid_Till": "2026-02-01", "Quote_Stage": "Draft"}


def test_crm_line_discounts_survive_a_trip_through_qbo() -> None:
    """CRM → canonical → QBO body → (as QBO returns it) → canonical: same lines."""
    data = {
        "id": "1",
        **STAMP,
        "Subject": "S",
        "Contact_Name": {"id": "c"},
        "Invoiced_Items": [
            {
                "Product_Name": {"id": "p1"},
                "Quantity": 3,
                "List_Price": 0.1,
                "Discount": 0.05,
            },
            {"Product_Name": {"id": "p2"}, "Quantity": 1, "List_Price": 19.99},
            {
                "Product_Name": {"id": "p3"},
                "Quantity": 2,
                "List_Price": 7,
                "Discount": 1,
            },
        ],
    }
    crm, _ = invoice_from_zoho(data)
    body = document_to_qbo(crm)
    qbo_view = {
        **body,
        "Id": "7",
        "SyncToken": "0",
        "MetaData": {"LastUpdatedTime": "2026-09-01T00:00:00-07:00"},
    }
    qbo, _ = invoice_from_qbo(qbo_view)
    fields = ("product_id", "quantity", "unit_price", "discount", "amount")
    assert [[getattr(x, f) for f in fields] for x in qbo.lines] == [
        [getattr(x, f) for f in fields] for x in crm.lines
    ]


def test_malformed_row_names_the_row() -> None:
    data = {
        "id": "1",
        **STAMP,
        "Invoiced_Items": [
            {"Product_Name": {"id": "p"}, "Quantity": "two", "List_Price": 1}
        ],
    }
    with pytest.raises(ValueError, match=r"Invoices 1: Quantity: not a number"):
        invoice_from_zoho(data)
