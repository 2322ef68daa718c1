"""QBO Invoice and Estimate translation: lines, discounts, tax, voids, money."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from common.hashing import content_hash
from common.records import DocumentLine, SalesDocument
from services.qbo_gateway.translation import (
    TranslationError,
    document_to_qbo,
    estimate_from_qbo,
    invoice_from_qbo,
    unwrap,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "qbo"
pytestmark = pytest.mark.unit
META = {"SyncToken": "1", "MetaData": {"LastUpdatedTime": "2015-01-01T00:00:00Z"}}


def load(name: str, entity: str) -> dict[str, Any]:
    return unwrap(json.loads((FIXTURES / name).read_text()), entity)


def echo(body: dict[str, Any], kind: str = "invoice") -> SalesDocument:
    """What QBO would hand back for a body: the body plus an id and version."""
    data = {**body, "Id": "900", **META}
    reader = invoice_from_qbo if kind == "invoice" else estimate_from_qbo
    return reader(data)[0]


def without_rate(document: SalesDocument) -> SalesDocument:
    # tax_rate is computed by QBO into TxnTaxDetail and never written back.
    lines = tuple(line.model_copy(update={"tax_rate": None}) for line in document.lines)
    return document.model_copy(update={"lines": lines, "total": None})


def test_invoice_sample_lines_skip_the_subtotal_and_carry_tax() -> None:
    document, version = invoice_from_qbo(load("invoice.get.response.json", "Invoice"))
    assert (document.kind, document.number, document.party_id) == (
        "invoice",
        "1037",
        "24",
    )
    assert str(document.issue_date) == "2014-09-19"
    assert str(document.due_date) == "2014-10-19"
    assert document.total == Decimal("362.07")
    assert document.terms == "Thank you for your business and have a great day!"
    assert [line.product_id for line in document.lines] == ["5", "11", "3"]
    concrete = document.lines[2]
    assert concrete == DocumentLine(
        product_id="3",
        product_name="Concrete",
        description="Concrete for fountain installation",
        quantity=Decimal(5),
        unit_price=Decimal("9.5"),
        tax_code="TAX",
        tax_rate=Decimal(8),
        amount=Decimal("47.5"),
    )
    assert version.sequence == 0
    assert document.voided is False


@pytest.mark.parametrize(
    ("name", "entity", "kind"),
    [
        ("invoice.get.response.json", "Invoice", "invoice"),
        ("invoice.create.response.json", "Invoice", "invoice"),
        ("estimate.get.response.json", "Estimate", "estimate"),
    ],
)
def test_document_round_trip_is_a_fixed_point(
    name: str, entity: str, kind: str
) -> None:
    data = load(name, entity)
    first = (invoice_from_qbo if kind == "invoice" else estimate_from_qbo)(data)[0]
    second = echo(document_to_qbo(first), kind)
    assert without_rate(second) == without_rate(first)


def test_query_response_invoice_translates() -> None:
    query = json.loads((FIXTURES / "invoice.query.response.json").read_text())
    sample = query["QueryResponse"]["Invoice"][0]
    # Intuit's sample leaves MetaData out; without it there is no version.
    with pytest.raises(
        TranslationError, match=r"Invoice 239: MetaData\.LastUpdatedTime"
    ):
        invoice_from_qbo(sample)
    document, _ = invoice_from_qbo({**sample, "MetaData": META["MetaData"]})
    assert document.lines == (
        DocumentLine(
            product_id="1",
            product_name="Services",
            unit_price=Decimal(150),
            tax_code="NON",
            amount=Decimal(150),
        ),
    )


def test_create_request_sample_reads_amount_only_line_as_one_unit() -> None:
    request = json.loads((FIXTURES / "invoice.create.request.json").read_text())
    document = echo(request)
    assert document.lines[0].quantity == 1
    assert document.lines[0].unit_price == 100


def test_hash_ignores_balance_and_print_status() -> None:
    data = load("invoice.get.response.json", "Invoice")
    changed = {**data, "Balance": 0, "PrintStatus": "PrintComplete", "SyncToken": "3"}
    assert content_hash(invoice_from_qbo(changed)[0]) == content_hash(
        invoice_from_qbo(data)[0]
    )


def test_estimate_percent_discount_is_spread_onto_the_lines() -> None:
    document, _ = estimate_from_qbo(load("estimate.get.response.json", "Estimate"))
    assert document.status == "Pending"
    (line,) = document.lines
    assert (line.discount, line.amount) == (Decimal("3.5"), Decimal("31.5"))
    assert document.total == Decimal("31.5")


def test_crm_line_discounts_go_to_one_discount_line_and_come_back_exactly() -> None:
    document = SalesDocument(
        kind="invoice",
        party_id="1",
        lines=(
            _line("5", "2", "10", discount="1.5"),
            _line("6", "1", "20"),
            _line("7", "3", "5", discount="2"),
        ),
    )
    body = document_to_qbo(document, discount_account_id="86")
    sales = [
        line for line in body["Line"] if line["DetailType"] != "DiscountLineDetail"
    ]
    assert [line["Amount"] for line in sales] == [20, 20, 15]
    discount = body["Line"][-1]
    assert discount == {
        "DetailType": "DiscountLineDetail",
        "Amount": 3.5,
        "Description": "Line discounts: 1=1.5, 3=2",
        "DiscountLineDetail": {
            "PercentBased": False,
            "DiscountAccountRef": {"value": "86"},
        },
    }
    back = echo(body)
    assert [line.discount for line in back.lines] == [Decimal("1.5"), 0, Decimal(2)]
    assert [line.amount for line in back.lines] == [Decimal("18.5"), 20, 13]


def test_discount_made_in_qbo_is_spread_to_the_cent_and_stays_stable() -> None:
    data = {
        "Id": "1",
        **META,
        "CustomerRef": {"value": "1"},
        "Line": [
            _qbo_line("1", 1, "10"),
            _qbo_line("2", 1, "10"),
            _qbo_line("3", 1, "10"),
            {"DetailType": "SubTotalLineDetail", "Amount": 30.0},
            {
                "DetailType": "DiscountLineDetail",
                "Amount": 1.0,
                "DiscountLineDetail": {},
            },
        ],
    }
    first, _ = invoice_from_qbo(data)
    assert [line.discount for line in first.lines] == [
        Decimal("0.34"),
        Decimal("0.33"),
        Decimal("0.33"),
    ]
    assert echo(document_to_qbo(first)) == first


def test_voided_invoice_is_reported_voided() -> None:
    data = load("invoice.get.response.json", "Invoice")
    for line in data["Line"]:
        line["Amount"] = 0.0
        if "SalesItemLineDetail" in line:
            line["SalesItemLineDetail"]["UnitPrice"] = 0
    voided = {**data, "TotalAmt": 0, "Balance": 0, "PrivateNote": "Voided"}
    document, _ = invoice_from_qbo(voided)
    assert document.voided is True
    assert document.status == "Voided"
    assert all(line.amount == 0 for line in document.lines)


def test_a_note_saying_voided_on_a_live_invoice_is_not_a_void() -> None:
    data = {**load("invoice.get.response.json", "Invoice"), "PrivateNote": "Voided?"}
    assert invoice_from_qbo(data)[0].voided is False


def test_amounts_are_exact_decimals_in_the_json_body() -> None:
    document = SalesDocument(
        kind="invoice",
        party_id="1",
        lines=(_line("5", "3", "0.1"), _line("6", "1", "0.2", discount="0.1")),
    )
    body = document_to_qbo(document)
    text = json.dumps(body)
    assert "0.30000000000000004" not in text
    assert [line["Amount"] for line in body["Line"][:2]] == [0.3, 0.2]
    assert json.loads(text)["Line"][2]["Amount"] == 0.1
    back = echo(body)
    assert back.lines[0].amount == Decimal("0.3")


def test_line_amount_is_rounded_to_the_cent_as_qbo_checks_it() -> None:
    body = document_to_qbo(
        SalesDocument(kind="invoice", party_id="1", lines=(_line("5", "3", "0.335"),))
    )
    assert body["Line"][0]["Amount"] == 1.01
    assert body["Line"][0]["SalesItemLineDetail"]["UnitPrice"] == 0.335


def test_unrepresentable_amount_is_refused_rather_than_rounded() -> None:
    document = SalesDocument(
        kind="invoice", party_id="1", lines=(_line("5", "1", "0.1234567890123456"),)
    )
    with pytest.raises(ValueError, match="digits"):
        document_to_qbo(document)


@pytest.mark.parametrize(
    ("line", "tax_codes", "us_tax", "expected"),
    [
        (DocumentLine(product_id="1", tax_code="TAX"), {}, True, "TAX"),
        (DocumentLine(product_id="1", tax_code="NON"), {}, True, "NON"),
        (DocumentLine(product_id="1", tax_code="7"), {}, False, "7"),
        (
            DocumentLine(product_id="1", tax_code="VAT 20%", tax_rate=Decimal(20)),
            {"VAT 20%": "3"},
            False,
            "3",
        ),
        (
            DocumentLine(
                product_id="1", tax_code="Sales Tax 10%", tax_rate=Decimal(10)
            ),
            {},
            True,
            "TAX",
        ),
        (DocumentLine(product_id="1", tax_rate=Decimal(0)), {}, True, "NON"),
        (DocumentLine(product_id="1", tax_code="VAT 20%"), {}, False, None),
        (DocumentLine(product_id="1"), {}, True, None),
    ],
)
def test_tax_code_choice(
    line: DocumentLine, tax_codes: dict[str, str], us_tax: bool, expected: str | None
) -> None:
    document = SalesDocument(kind="invoice", party_id="1", lines=(line,))
    body = document_to_qbo(document, tax_codes=tax_codes, us_tax=us_tax)
    detail = body["Line"][0]["SalesItemLineDetail"]
    assert detail.get("TaxCodeRef", {}).get("value") == expected


def test_non_us_tax_code_and_rate_are_read() -> None:
    data = {
        "Id": "1",
        **META,
        "CustomerRef": {"value": "1"},
        "GlobalTaxCalculation": "TaxExcluded",
        "Line": [_qbo_line("1", 2, "50", tax="3")],
        "TxnTaxDetail": {
            "TotalTax": 20,
            "TaxLine": [
                {
                    "DetailType": "TaxLineDetail",
                    "Amount": 20,
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": "5"},
                        "PercentBased": True,
                        "TaxPercent": 20,
                        "NetAmountTaxable": 100,
                    },
                }
            ],
        },
    }
    (line,) = invoice_from_qbo(data)[0].lines
    assert (line.tax_code, line.tax_rate) == ("3", Decimal(20))
    body = document_to_qbo(invoice_from_qbo(data)[0], us_tax=False)
    assert body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "3"}


def test_sparse_document_update_sends_whole_lines_and_clears_notes() -> None:
    document, _ = invoice_from_qbo(load("invoice.get.response.json", "Invoice"))
    body = document_to_qbo(
        document, fields=["lines", "notes"], existing_id="130", sync_token="0"
    )
    assert set(body) == {"Id", "SyncToken", "sparse", "Line", "PrivateNote"}
    assert body["PrivateNote"] is None
    assert len(body["Line"]) == 3


def test_estimate_writes_expiration_date_and_status() -> None:
    document = SalesDocument(
        kind="estimate",
        party_id="3",
        due_date="2015-04-26",
        status="Accepted",
        lines=(_line("10", "1", "35"),),
    )
    body = document_to_qbo(document)
    assert body["ExpirationDate"] == "2015-04-26"
    assert body["TxnStatus"] == "Accepted"
    assert "DueDate" not in body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CustomerRef": None}, "Invoice 130: CustomerRef.value: is required"),
        ({"TotalAmt": "lots"}, "Invoice 130: TotalAmt: not a number"),
        ({"TxnDate": "19/09/2014"}, "Invoice 130: TxnDate: not a yyyy-MM-dd"),
    ],
)
def test_malformed_invoice_is_a_clear_value_error(
    change: dict[str, Any], message: str
) -> None:
    data = {**load("invoice.get.response.json", "Invoice"), **change}
    with pytest.raises(TranslationError, match=message):
        invoice_from_qbo(data)


def test_line_with_bad_amount_names_the_invoice() -> None:
    data = load("invoice.get.response.json", "Invoice")
    data["Line"][0]["Amount"] = "n/a"
    with pytest.raises(ValueError, match="Invoice 130: Amount: not a number"):
        invoice_from_qbo(data)


def test_line_without_a_product_cannot_be_written() -> None:
    document = SalesDocument(kind="invoice", party_id="1", lines=(DocumentLine(),))
    with pytest.raises(ValueError, match="line 1: no product id"):
        document_to_qbo(document)


def _line(product: str, qty: str, price: str, discount: str = "0") -> DocumentLine:
    return DocumentLine(
        product_id=product,
        quantity=Decimal(qty),
        unit_price=Decimal(price),
        discount=Decimal(discount),
    )


def _qbo_line(item: str, qty: int, price: str, tax: str = "NON") -> dict[str, Any]:
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": float(Decimal(price) * qty),
        "SalesItemLineDetail": {
            "ItemRef": {"value": item},
            "Qty": qty,
            "UnitPrice": float(price),
            "TaxCodeRef": {"value": tax},
        },
    }
