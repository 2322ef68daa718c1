"""What a record does not carry: read as ``not_carried``, never written.

"Empty" (the side says the field has no value) and "not carried" (the side
has no such field, keeps it elsewhere, or did not fetch it) must stay apart:
only an empty value may clear the other side.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from common.records import Address, DocumentLine, Party, SalesDocument, Vendor
from services.crm_gateway.translation import (
    FieldMap,
    contact_from_zoho,
    contact_to_zoho,
    invoice_from_zoho,
    quote_from_zoho,
    vendor_from_zoho,
)
from services.qbo_gateway.translation import (
    customer_from_qbo,
    customer_to_qbo,
    document_to_qbo,
    estimate_from_qbo,
    vendor_to_qbo,
)

pytestmark = pytest.mark.unit

STAMP = {"Modified_Time": "2025-01-01T00:00:00+00:00"}
META = {"SyncToken": "3", "MetaData": {"LastUpdatedTime": "2025-01-01T00:00:00Z"}}
COMPANY_HALF = ("active", "billing_address", "company_name", "display_name")


def contact(**fields: Any) -> dict[str, Any]:
    return {
        "id": "1",
        "First_Name": "Ann",
        "Last_Name": "Lee",
        "Email": "ann@x.io",
        "Phone": None,
        "Mobile": None,
        "Account_Name": None,
        **STAMP,
        **fields,
    }


def test_a_zoho_contact_never_carries_its_company_half() -> None:
    party, _ = contact_from_zoho(contact())
    assert party.not_carried == COMPANY_HALF
    assert party.carries("phone")  # asked for, and empty: carried as None
    assert party.phone is None


def test_a_key_the_read_did_not_ask_for_is_not_carried() -> None:
    data = contact()
    del data["Phone"], data["Account_Name"]
    party, _ = contact_from_zoho(data)
    assert party.not_carried == tuple(sorted((*COMPANY_HALF, "account_id", "phone")))


def test_an_extra_field_missing_from_the_read_is_not_carried() -> None:
    field_map = FieldMap.of({"Title": "title", "Department": "dept"})
    party, _ = contact_from_zoho(contact(Title=None), field_map)
    assert "custom.dept" in party.not_carried
    assert "custom.title" not in party.not_carried


def test_zoho_vendors_carry_no_company_and_no_active_flag() -> None:
    vendor, _ = vendor_from_zoho({"id": "4", "Vendor_Name": "Zylker", **STAMP})
    assert {"company_name", "active"} <= set(vendor.not_carried)


def test_zoho_quotes_carry_no_issue_date_and_invoices_do() -> None:
    rows = [{"Product_Name": {"id": "9"}, "Quantity": 1, "List_Price": 5}]
    quote, _ = quote_from_zoho({"id": "1", "Quoted_Items": rows, **STAMP})
    invoice, _ = invoice_from_zoho(
        {"id": "2", "Invoiced_Items": rows, "Invoice_Date": None, **STAMP}
    )
    assert {"issue_date", "voided"} <= set(quote.not_carried)
    assert "issue_date" not in invoice.not_carried


def test_qbo_leaves_empty_fields_out_so_a_missing_key_is_empty() -> None:
    party, _ = customer_from_qbo({"Id": "5", "DisplayName": "Ann", **META})
    assert party.not_carried == ("account_id",)  # a CRM Account only
    assert party.billing_address is None
    estimate, _ = estimate_from_qbo({"Id": "6", "CustomerRef": {"value": "5"}, **META})
    assert {"subject", "account_id"} <= set(estimate.not_carried)


def test_writers_never_write_what_the_record_does_not_carry() -> None:
    party = Party(
        first_name="Ann",
        phone=None,
        not_carried=("billing_address", "company_name"),
    )
    full = customer_to_qbo(party, existing_id="5", sync_token="3")
    assert "BillAddr" not in full
    assert "CompanyName" not in full
    assert full["PrimaryPhone"] == {"FreeFormNumber": None}  # carried, empty: clears
    named = customer_to_qbo(
        party, fields=["billing_address", "phone"], existing_id="5", sync_token="3"
    )
    assert "BillAddr" not in named
    vendor = Vendor(name="Zylker", phone="1", not_carried=("company_name", "active"))
    body = vendor_to_qbo(vendor, existing_id="7", sync_token="1")
    assert "CompanyName" not in body
    assert "Active" not in body
    assert contact_to_zoho(party, existing_id="1", fields=["company_name"]) == {
        "id": "1"
    }


def test_null_dates_are_never_sent_to_qbo() -> None:
    """QBO refuses them: 2010 "Property TxnDate has an invalid date None"."""
    line = DocumentLine(product_id="9", quantity=Decimal(1), unit_price=Decimal(5))
    estimate = SalesDocument(kind="estimate", party_id="5", lines=(line,))
    update = document_to_qbo(
        estimate,
        fields=["issue_date", "due_date", "notes"],
        existing_id="6",
        sync_token="2",
    )
    assert "TxnDate" not in update
    assert "ExpirationDate" not in update
    assert update["PrivateNote"] is None
    dated = estimate.model_copy(update={"issue_date": date(2025, 1, 15)})
    body = document_to_qbo(
        dated, fields=["issue_date"], existing_id="6", sync_token="2"
    )
    assert body["TxnDate"] == "2025-01-15"


def test_not_carried_names_fields_of_the_record() -> None:
    with pytest.raises(ValidationError, match="no field 'nope'"):
        Party(not_carried=("nope",))
    with pytest.raises(ValidationError, match="only custom fields"):
        Party(not_carried=("billing_address.city",))
    party = Party(not_carried=("phone", "custom.x", "phone"))
    assert party.not_carried == ("custom.x", "phone")  # sorted, once: stable hashes
    assert "not_carried" not in Address.model_fields  # a part, not a record
