"""Zoho Contacts, Accounts, Products, Vendors and markers, on Zoho's samples."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from common.hashing import content_hash
from common.records import Address, Organization, Party, Product, Vendor
from services.crm_gateway.translation import (
    MARKER_FIELDS,
    TranslationError,
    account_from_zoho,
    account_to_zoho,
    contact_from_zoho,
    contact_to_zoho,
    markers_from_zoho,
    markers_to_zoho,
    product_from_zoho,
    product_to_zoho,
    vendor_from_zoho,
    vendor_to_zoho,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "zoho"
SANDBOX_SCHEMA = Path(__file__).resolve().parents[3] / "services/zoho_sandbox/schema.py"
pytestmark = pytest.mark.unit
STAMP = {"Modified_Time": "2024-02-19T18:30:23-11:00"}
# Zoho contacts never carry these: the company half lives on the Account.
ALWAYS_ON_THE_ACCOUNT = ("active", "billing_address", "company_name", "display_name")


def records(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / name).read_text())["data"]


def inserted(name: str) -> dict[str, Any]:
    """An insert request's record as Zoho would store it: with an id and time."""
    return {**records(name)[0], "id": "5725767000000000001", **STAMP}


@pytest.mark.parametrize(
    "data",
    records("contacts.list.by_external_ids.response.json"),
    ids=lambda d: d["id"],
)
def test_contacts_list_sample(data: dict[str, Any]) -> None:
    with pytest.raises(TranslationError, match=f"Contacts {data['id']}: Modified_Time"):
        contact_from_zoho(data)
    party, version = contact_from_zoho({**data, **STAMP})
    assert party == Party(
        last_name=data["Last_Name"],
        account_id=data["Account_Name"]["id"],
        # The sample asked for names and account only: the rest is unknown.
        not_carried=(*ALWAYS_ON_THE_ACCOUNT, "email", "mobile", "phone"),
    )
    assert version.sequence is None
    assert version.updated_at.isoformat() == "2024-02-20T05:30:23+00:00"
    again, _ = contact_from_zoho({**contact_to_zoho(party), "id": data["id"], **STAMP})
    # A create body leaves the empty First_Name out.
    unsent = (*party.not_carried, "first_name")
    assert again == party.model_copy(update={"not_carried": tuple(sorted(unsent))})


def test_full_record_with_system_keys_reads_only_mapped_fields() -> None:
    lead = records("leads.search.criteria.response.json")[0]
    party, _ = contact_from_zoho(lead)
    assert party == Party(
        first_name="John",
        last_name="Smith",
        not_carried=(*ALWAYS_ON_THE_ACCOUNT, "account_id"),  # a lead has none
    )
    noisy = {
        **lead,
        "Owner": {"id": "1", "name": "X"},
        "Modified_By": {"id": "2"},
        "Tag": [{"name": "vip"}],
        "QuickBooks_Customer_Id": "67",
        "Mailing_City": "Elsewhere",
        "$approval_state": "pending",
    }
    assert content_hash(contact_from_zoho(noisy)[0]) == content_hash(party)


def test_contact_update_sends_only_changed_keys() -> None:
    party = Party(first_name="Ann", last_name="Lee", email="ann@x.io", account_id=None)
    body = contact_to_zoho(party, fields=["email", "account_id"], existing_id="9")
    assert body == {"id": "9", "Email": "ann@x.io", "Account_Name": None}


def test_contact_create_from_a_qbo_customer_without_last_name() -> None:
    party = Party(display_name="Amy's Bird Sanctuary", email="b@x.io", account_id="7")
    body = contact_to_zoho(party)
    assert body == {
        "Last_Name": "Amy's Bird Sanctuary",
        "Email": "b@x.io",
        "Account_Name": {"id": "7"},
    }


def test_contact_never_writes_company_fields() -> None:
    party = Party(last_name="L", company_name="Co", billing_address=Address(city="X"))
    assert contact_to_zoho(party) == {"Last_Name": "L"}


def test_account_sample_and_round_trip() -> None:
    data = inserted("accounts.insert.request.json")
    organization, _ = account_from_zoho(data)
    assert organization == Organization(
        name="Bentley Systems",
        phone="555-2233445",
        billing_address=Address(
            line1="1000 Commerce Drive",
            city="Exton",
            region="Pennsylvania",
            postal_code="19341",
            country="USA",
        ),
        not_carried=("active",),
    )
    again, _ = account_from_zoho({**account_to_zoho(organization), "id": "1", **STAMP})
    assert again == organization
    noisy = {**data, "Owner": {"id": "x"}, "Industry": "Retail", "Shipping_City": "Y"}
    assert content_hash(account_from_zoho(noisy)[0]) == content_hash(organization)


def test_account_street_keeps_two_lines() -> None:
    organization = Organization(
        name="A",
        billing_address=Address(line1="1", line2="2"),
        not_carried=("active", "phone"),  # a create body leaves empty keys out
    )
    body = account_to_zoho(organization)
    assert body["Billing_Street"] == "1\n2"
    assert account_from_zoho({**body, "id": "1", **STAMP})[0] == organization


def test_product_sample_and_fetch_checkbox() -> None:
    data = inserted("products.insert.request.json")
    product, _ = product_from_zoho(data)
    assert product == Product(
        name="CRM Enterprise Suite",
        description="Enterprise-grade CRM licensing bundle",
        unit_price=Decimal(999),
        sku="PRD-2001",
        taxable=True,
        not_carried=("fetch_requested",),  # the insert sample has no such key
    )
    fetch, _ = product_from_zoho({**data, "Fetch_Product_Details": True})
    assert fetch.fetch_requested is True
    assert content_hash(fetch) != content_hash(product)
    body = product_to_zoho(fetch)
    assert "Fetch_Product_Details" not in body
    again, _ = product_from_zoho({**body, "id": "1", **STAMP})
    assert again == product


def test_product_deactivated_in_crm() -> None:
    data = {**inserted("products.insert.request.json"), "Product_Active": False}
    assert product_from_zoho(data)[0].active is False
    body = product_to_zoho(
        Product(name="x", active=False), fields=["active"], existing_id="3"
    )
    assert body == {"id": "3", "Product_Active": False}


def test_product_hash_ignores_marker_and_stock_fields() -> None:
    data = inserted("products.insert.request.json")
    noisy = {**data, "QuickBooks_Item_Id": "5", "Qty_in_Stock": 1, "Modified_By": {}}
    assert content_hash(product_from_zoho(noisy)[0]) == content_hash(
        product_from_zoho(data)[0]
    )


def test_product_with_bad_price_is_refused() -> None:
    data = {**inserted("products.insert.request.json"), "Unit_Price": "cheap"}
    with pytest.raises(ValueError, match=r"Products 5725767000000000001: Unit_Price"):
        product_from_zoho(data)


def test_vendor_record_and_round_trip() -> None:
    data = {
        "id": "4",
        **STAMP,
        "Vendor_Name": "Zylker Hardwares",
        "Email": "sales@zylker.com",
        "Phone": "555-0100",
        "Website": "https://zylker.com",
        "Street": "1 Main St",
        "City": "Austin",
        "State": "TX",
        "Zip_Code": "73301",
        "Country": "USA",
        "GL_Account": "Sales-Hardware",
        "Owner": {"id": "9"},
    }
    vendor, _ = vendor_from_zoho(data)
    assert vendor == Vendor(
        name="Zylker Hardwares",
        email="sales@zylker.com",
        phone="555-0100",
        website="https://zylker.com",
        address=Address(
            line1="1 Main St",
            city="Austin",
            region="TX",
            postal_code="73301",
            country="USA",
        ),
        not_carried=("active", "company_name"),  # Zoho vendors have neither
    )
    assert vendor_from_zoho({**vendor_to_zoho(vendor), "id": "4", **STAMP})[0] == vendor


def test_missing_mandatory_name_is_a_clear_error() -> None:
    with pytest.raises(TranslationError, match="Vendors 4: Vendor_Name: is required"):
        vendor_from_zoho({"id": "4", **STAMP})


def test_markers_map_to_the_sandbox_field_names() -> None:
    schema = SANDBOX_SCHEMA.read_text()
    for api_name in MARKER_FIELDS.values():
        assert f'"{api_name}"' in schema, api_name


def test_markers_to_zoho_for_an_invoice() -> None:
    body = markers_to_zoho(
        "Invoices", {"qbo_invoice_id": "238", "qbsync": "true", "subject": "238"}
    )
    assert body == {"QuickBooks_Invoice_Id": "238", "QBSYNC": True, "Subject": "238"}


def test_markers_accept_zoho_names_and_clear_with_none() -> None:
    assert markers_to_zoho("quote", {"QBSYNC": None, "qbo_estimate_id": None}) == {
        "QBSYNC": False,
        "QuickBooks_Estimate_Id": None,
    }
    assert markers_to_zoho("Products", {"fetch_product_details": False}) == {
        "Fetch_Product_Details": False
    }


def test_marker_not_on_module_is_refused() -> None:
    with pytest.raises(ValueError, match="Contacts has no marker 'qbsync'"):
        markers_to_zoho("Contacts", {"qbsync": "true"})
    with pytest.raises(ValueError, match="no marker fields"):
        markers_to_zoho("Vendors", {})


def test_markers_read_back() -> None:
    data = {"id": "1", "QuickBooks_Item_Id": "5", "Fetch_Product_Details": True}
    assert markers_from_zoho("Products", data) == {
        "qbo_item_id": "5",
        "fetch_product_details": True,
    }
