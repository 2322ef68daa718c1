"""QBO Customer, Item and Vendor translation, on Intuit's own samples."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from common.hashing import content_hash
from common.records import Address, Party, Product, Vendor
from services.qbo_gateway.translation import (
    TranslationError,
    customer_from_qbo,
    customer_to_qbo,
    item_from_qbo,
    item_to_qbo,
    unwrap,
    vendor_from_qbo,
    vendor_to_qbo,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "qbo"
pytestmark = pytest.mark.unit


def load(name: str, entity: str) -> dict[str, Any]:
    return unwrap(json.loads((FIXTURES / name).read_text()), entity)


def customers() -> list[dict[str, Any]]:
    query = json.loads((FIXTURES / "customer.query.response.json").read_text())
    return [load("customer.get.response.json", "Customer")] + query["QueryResponse"][
        "Customer"
    ]


def test_customer_get_sample_translates_field_by_field() -> None:
    party, version = customer_from_qbo(load("customer.get.response.json", "Customer"))
    assert party == Party(
        first_name="Bill",
        last_name="Lucchini",
        display_name="Bill's Windsurf Shop",
        email="Surf@Intuit.com",
        phone="(415) 444-6538",
        company_name="Bill's Windsurf Shop",
        billing_address=Address(
            line1="12 Ocean Dr.", city="Half Moon Bay", region="CA", postal_code="94213"
        ),
        not_carried=("account_id",),  # a CRM Account: QBO has none
    )
    assert version.sequence == 0
    assert version.updated_at.isoformat() == "2014-09-18T19:56:01+00:00"


@pytest.mark.parametrize("data", customers(), ids=lambda d: d["Id"])
def test_customer_round_trip_is_a_fixed_point(data: dict[str, Any]) -> None:
    first, _ = customer_from_qbo(data)
    body = customer_to_qbo(first)
    second, _ = customer_from_qbo({**body, "Id": data["Id"], **_meta()})
    assert second == first


def test_customer_hash_ignores_unmapped_fields() -> None:
    data = load("customer.get.response.json", "Customer")
    changed = {
        **data,
        "Balance": 1.0,
        "Notes": "x",
        "MiddleName": "Q",
        "SyncToken": "9",
    }
    assert content_hash(customer_from_qbo(changed)[0]) == content_hash(
        customer_from_qbo(data)[0]
    )


def test_inactive_customer_reads_inactive() -> None:
    party, _ = customer_from_qbo({**customers()[1], "Active": False})
    assert party.active is False


def test_customer_sparse_update_carries_only_changed_fields() -> None:
    party = Party(first_name="Amy", email=" new@x.io ", phone=None)
    body = customer_to_qbo(
        party, fields=["email", "phone"], existing_id="1", sync_token="5"
    )
    assert body == {
        "Id": "1",
        "SyncToken": "5",
        "sparse": True,
        "PrimaryEmailAddr": {"Address": "new@x.io"},
        "PrimaryPhone": {"FreeFormNumber": None},
    }


def test_customer_deactivation_is_a_sparse_active_false() -> None:
    body = customer_to_qbo(
        Party(active=False), fields=["active"], existing_id="2", sync_token=0
    )
    assert body == {"Id": "2", "SyncToken": "0", "sparse": True, "Active": False}


def test_customer_create_from_a_crm_contact_builds_a_display_name() -> None:
    body = customer_to_qbo(Party(first_name="Ann", last_name="Lee", email="a@b.co"))
    assert body == {
        "GivenName": "Ann",
        "FamilyName": "Lee",
        "DisplayName": "Ann Lee",
        "PrimaryEmailAddr": {"Address": "a@b.co"},
        "Active": True,
    }


def test_update_without_sync_token_is_refused() -> None:
    with pytest.raises(ValueError, match="SyncToken"):
        customer_to_qbo(Party(), fields=["email"], existing_id="1")


def test_unknown_field_name_is_refused() -> None:
    with pytest.raises(ValueError, match="emial"):
        customer_to_qbo(Party(), fields=["emial"], existing_id="1", sync_token="0")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"SyncToken": None}, "SyncToken"),
        ({"MetaData": {}}, "MetaData.LastUpdatedTime"),
        ({"Id": None}, "id"),
        ({"PrimaryEmailAddr": {"Address": ["x"]}}, "PrimaryEmailAddr.Address"),
    ],
)
def test_malformed_customer_names_field_and_id(
    change: dict[str, Any], field: str
) -> None:
    data = {**load("customer.get.response.json", "Customer"), **change}
    with pytest.raises(TranslationError, match=field) as caught:
        customer_from_qbo(data)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("name", "envelope", "expected"),
    [
        (
            "item.get.response.json",
            "Item",
            Product(
                name="Rock Fountain",
                description="Rock Fountain",
                unit_price=Decimal(275),
                taxable=True,
                not_carried=("fetch_requested",),
            ),
        ),
        (
            "item.service.entity.json",
            "Item",
            Product(
                name="Concrete",
                description="Concrete for fountain installation",
                unit_price=Decimal(0),
                taxable=True,
                not_carried=("fetch_requested",),
            ),
        ),
    ],
)
def test_item_samples(name: str, envelope: str, expected: Product) -> None:
    data = load(name, envelope)
    product, version = item_from_qbo(data)
    assert product == expected
    assert version.sequence == int(data["SyncToken"])
    again, _ = item_from_qbo({**item_to_qbo(product), "Id": data["Id"], **_meta()})
    assert again == product


def test_item_hash_ignores_quantity_and_accounts() -> None:
    data = load("item.get.response.json", "Item")
    changed = {**data, "QtyOnHand": 99, "PurchaseCost": 1, "IncomeAccountRef": {}}
    assert content_hash(item_from_qbo(changed)[0]) == content_hash(
        item_from_qbo(data)[0]
    )


def test_item_create_carries_type_and_income_account() -> None:
    body = item_to_qbo(
        Product(name="Widget", unit_price=Decimal("19.99"), sku="W-1"),
        income_account_id="79",
    )
    assert body == {
        "Name": "Widget",
        "UnitPrice": 19.99,
        "Sku": "W-1",
        "Active": True,
        "Type": "Service",
        "IncomeAccountRef": {"value": "79"},
    }


def test_item_price_update_is_sparse() -> None:
    body = item_to_qbo(
        Product(name="W", unit_price=Decimal("0.30")),
        fields=["unit_price"],
        existing_id="5",
        sync_token="2",
    )
    assert body == {"Id": "5", "SyncToken": "2", "sparse": True, "UnitPrice": 0.3}


def test_item_with_non_numeric_price_is_refused() -> None:
    data = {**load("item.get.response.json", "Item"), "UnitPrice": "abc"}
    with pytest.raises(TranslationError, match=r"Item 5: UnitPrice: not a number"):
        item_from_qbo(data)


def test_vendor_sample_and_round_trip() -> None:
    data = load("vendor.get.response.json", "Vendor")
    vendor, version = vendor_from_qbo(data)
    assert vendor == Vendor(
        name="Books by Bessie",
        email="Books@Intuit.com",
        phone="(650) 555-7745",
        company_name="Books by Bessie",
        website="http://www.booksbybessie.co",
        address=Address(
            line1="15 Main St.", city="Palo Alto", region="CA", postal_code="94303"
        ),
    )
    assert version.sequence == 0
    again, _ = vendor_from_qbo({**vendor_to_qbo(vendor), "Id": "30", **_meta()})
    assert again == vendor
    changed = {**data, "Balance": 10, "AcctNum": "9", "Vendor1099": True}
    assert content_hash(vendor_from_qbo(changed)[0]) == content_hash(vendor)


def test_printed_label_address_lines_are_kept() -> None:
    data = {
        **customers()[1],
        "BillAddr": {"Line1": "Russ", "Line2": "Store", "Line3": "5647 Cypress"},
    }
    party, _ = customer_from_qbo(data)
    assert party.billing_address == Address(line1="Russ", line2="Store\n5647 Cypress")
    body = customer_to_qbo(party)
    assert body["BillAddr"] == {
        "Line1": "Russ",
        "Line2": "Store",
        "Line3": "5647 Cypress",
    }


def _meta() -> dict[str, Any]:
    return {"SyncToken": "1", "MetaData": {"LastUpdatedTime": "2015-01-01T00:00:00Z"}}
