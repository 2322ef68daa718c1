"""Change data capture: 30-day window, deleted objects, 1000 per entity."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Qbo

pytestmark = pytest.mark.sandbox


async def cdc(qbo: Qbo, entities: str, since: str) -> list[dict[str, Any]]:
    body = await qbo.ok(await qbo.get("cdc", entities=entities, changedSince=since))
    assert set(body) == {"CDCResponse", "time"}
    return list(body["CDCResponse"][0]["QueryResponse"])


async def now_text(qbo: Qbo) -> str:
    info = await qbo.ok(await qbo.get(f"companyinfo/{qbo.realm}"))
    return str(info["time"])


async def test_changes_and_deleted_objects(qbo: Qbo, fixture: Any) -> None:
    await qbo.reset(customers=5, invoices=3, history_days=90)
    await qbo.admin("backdate", {"entity": "Customer", "days": 60})
    await qbo.admin("backdate", {"entity": "Invoice", "days": 60})
    since = await now_text(qbo)
    await qbo.admin("clock", {"advance_seconds": 2})
    changed = await qbo.create("Customer", {"DisplayName": "Fresh"})
    off = {"Id": "1", "SyncToken": "0", "sparse": True, "Active": False}
    off["SyncToken"] = (await qbo.ok(await qbo.get("customer/1")))["Customer"][
        "SyncToken"
    ]
    await qbo.ok(await qbo.post("customer", off))
    invoice = (await qbo.ok(await qbo.get("invoice/1")))["Invoice"]
    target = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}
    await qbo.ok(await qbo.post("invoice", target, operation="delete"))
    customers, invoices, items = await cdc(qbo, "Customer,Invoice,Item", since)
    # Ordered by last update; the two may share a timestamp, so compare ids.
    by_id = {c["Id"]: c for c in customers["Customer"]}
    assert sorted(by_id) == sorted(["1", changed["Id"]])
    assert by_id["1"]["Active"] is False  # inactive is not deleted
    deleted = invoices["Invoice"][0]
    sample = fixture("cdc.response.json")["CDCResponse"][0]["QueryResponse"][1][
        "Estimate"
    ][2]
    assert set(deleted) == set(sample)
    assert (deleted["status"], deleted["Id"]) == ("Deleted", invoice["Id"])
    assert items == {}


async def test_empty_cdc_matches_the_capture(qbo: Qbo, fixture: Any) -> None:
    since = await now_text(qbo)
    await qbo.admin("clock", {"advance_seconds": 1})
    body = await qbo.ok(await qbo.get("cdc", entities="Customer", changedSince=since))
    empty = fixture("cdc.empty.response.json")
    assert body["CDCResponse"] == empty["CDCResponse"]


async def test_lookback_is_thirty_days(qbo: Qbo) -> None:
    response = await qbo.get("cdc", entities="Customer", changedSince="2001-01-01")
    error = await qbo.fault(response)
    assert "older than fixed days" in error["Detail"]
    await qbo.create("Customer", {"DisplayName": "Early"})
    since = await now_text(qbo)
    await qbo.admin("clock", {"advance_seconds": 29 * 86400})
    await qbo.refresh()
    assert (await qbo.get("cdc", entities="Customer", changedSince=since)).status == 200
    await qbo.admin("clock", {"advance_seconds": 2 * 86400})
    await qbo.refresh()
    assert (await qbo.get("cdc", entities="Customer", changedSince=since)).status == 400
    missing = await qbo.get("cdc", entities="Customer")
    assert (await qbo.fault(missing))["code"] == "2020"
    taxes = await qbo.get("cdc", entities="TaxCode", changedSince="2099-01-01")
    assert (await qbo.fault(taxes))["code"] == "500"


async def test_at_most_one_thousand_per_entity(qbo: Qbo) -> None:
    await qbo.reset(customers=1200, history_days=10)
    now = datetime.fromisoformat(await now_text(qbo))
    since = (now - timedelta(days=20)).isoformat(timespec="seconds")
    (page,) = await cdc(qbo, "Customer", since)
    assert page["maxResults"] == 1000
    assert len(page["Customer"]) == 1000
    stamps = [c["MetaData"]["LastUpdatedTime"] for c in page["Customer"]]
    assert stamps == sorted(stamps)  # oldest first, so a client can move on
