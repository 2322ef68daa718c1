"""The `intuit-sample` seed: Intuit's sandbox sample company, with the names
and ids that Intuit's published samples (tests/fixtures/qbo) show."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Qbo

pytestmark = pytest.mark.sandbox

Fixture = Callable[[str], Any]


async def test_reset_with_the_sample_seed(qbo: Qbo) -> None:
    creds = await qbo.reset(seed="intuit-sample")
    counts = creds["counts"]
    assert counts["Customer"] == 29
    assert counts["Vendor"] == 7
    assert counts["Item"] == 17
    assert counts["Invoice"] == 4
    assert counts["Estimate"] == 1

    amy = (await qbo.ok(await qbo.get("customer/1")))["Customer"]
    assert amy["DisplayName"] == "Amy's Bird Sanctuary"
    assert amy["PrimaryEmailAddr"] == {"Address": "Birds@Intuit.com"}

    found = await qbo.query("select * from Item where Name = 'Pest Control'")
    assert [(i["Id"], i["UnitPrice"]) for i in found["Item"]] == [("10", 35)]
    income = found["Item"][0]["IncomeAccountRef"]
    account = (await qbo.ok(await qbo.get(f"account/{income['value']}")))["Account"]
    assert account["Name"] == income["name"] == "Pest Control Services"


async def test_sample_matches_intuits_published_objects(
    qbo: Qbo, fixture: Fixture
) -> None:
    await qbo.reset(seed="intuit-sample")

    bill = fixture("customer.get.response.json")["Customer"]
    got = (await qbo.ok(await qbo.get("customer/2")))["Customer"]
    for key in ("DisplayName", "GivenName", "FamilyName", "PrimaryEmailAddr"):
        assert got[key] == bill[key]
    assert got["BillAddr"] == bill["BillAddr"]

    # Amy's Bird Sanctuary (1) and Weiskopf Consulting (29).
    for listed in fixture("customer.query.response.json")["QueryResponse"]["Customer"]:
        got = (await qbo.ok(await qbo.get(f"customer/{listed['Id']}")))["Customer"]
        assert got["DisplayName"] == listed["DisplayName"]
        assert got["PrimaryEmailAddr"] == listed["PrimaryEmailAddr"]
        assert got["BillAddr"] == listed["BillAddr"]

    fountain = fixture("item.get.response.json")["Item"]
    got = (await qbo.ok(await qbo.get("item/5")))["Item"]
    for key in ("Name", "Type", "UnitPrice", "QtyOnHand", "PurchaseCost"):
        assert got[key] == fountain[key]
    for key in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        assert got[key] == fountain[key]

    concrete = fixture("item.service.entity.json")
    got = (await qbo.ok(await qbo.get("item/3")))["Item"]
    assert (got["Name"], got["Type"]) == (concrete["Name"], concrete["Type"])
    assert got["IncomeAccountRef"] == concrete["IncomeAccountRef"]

    bessie = fixture("vendor.get.response.json")["Vendor"]
    got = (await qbo.ok(await qbo.get("vendor/30")))["Vendor"]
    for key in ("DisplayName", "PrimaryEmailAddr", "BillAddr", "AcctNum"):
        assert got[key] == bessie[key]


async def test_sample_transactions_match_the_fixtures(
    qbo: Qbo, fixture: Fixture
) -> None:
    await qbo.reset(seed="intuit-sample")

    sample = fixture("invoice.get.response.json")["Invoice"]
    got = (await qbo.ok(await qbo.get("invoice/130")))["Invoice"]
    for key in ("DocNumber", "TotalAmt", "CustomerRef", "BillAddr", "TxnDate"):
        assert got[key] == sample[key]
    assert [line["Amount"] for line in got["Line"]] == [
        line["Amount"] for line in sample["Line"]
    ]

    sample = fixture("estimate.get.response.json")["Estimate"]
    got = (await qbo.ok(await qbo.get("estimate/177")))["Estimate"]
    for key in ("DocNumber", "TotalAmt", "CustomerRef", "TxnStatus", "BillEmail"):
        assert got[key] == sample[key]
    assert got["Line"] == sample["Line"]


async def test_sample_company_keeps_working_like_any_company(
    qbo: Qbo, fixture: Fixture
) -> None:
    await qbo.reset(seed="intuit-sample")
    # Intuit's create samples: the next ids continue after the sample's.
    created = await qbo.create("Customer", fixture("customer.create.request.json"))
    assert created["Id"] == "58"
    assert created["BillAddr"]["Id"] == "112"
    invoice = await qbo.create("Invoice", fixture("invoice.create.request.json"))
    assert invoice["CustomerRef"]["name"] == "Amy's Bird Sanctuary"
    assert int(invoice["Id"]) >= 180
    assert invoice["DocNumber"] == "1038"
    clash = await qbo.post("customer", {"DisplayName": "cool cars"})
    assert (await qbo.fault(clash))["code"] == "6240"
    services = await qbo.query("select * from Account where Name = 'Services'")
    assert services["Account"][0]["Id"] == "1"


async def test_counts_add_on_top_of_the_sample(qbo: Qbo) -> None:
    creds = await qbo.reset(
        seed="intuit-sample", customers=40, items=5, invoices=20, estimates=5
    )
    assert creds["counts"]["Customer"] == 29 + 40
    assert creds["counts"]["Item"] == 17 + 5
    assert creds["counts"]["Invoice"] == 4 + 20
    listed = await qbo.query("select * from Customer maxresults 1000")
    names = [c["DisplayName"].casefold() for c in listed["Customer"]]
    assert len(names) == len(set(names))
    newest = (await qbo.ok(await qbo.get("customer/58")))["Customer"]
    assert newest["DisplayName"]


async def test_integer_seeds_are_unchanged(qbo: Qbo) -> None:
    creds = await qbo.reset(seed=1, customers=2, items=1)
    assert creds["counts"]["Customer"] == 2
    assert creds["counts"]["Item"] == 3
    first = (await qbo.ok(await qbo.get("item/1")))["Item"]
    assert first["Name"] == "Services"
