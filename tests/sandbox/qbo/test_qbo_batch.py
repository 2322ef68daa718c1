"""POST /batch: independent items, bId matching, per-item faults, 30 max."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Qbo

pytestmark = pytest.mark.sandbox


async def test_mixed_batch_like_the_doc_sample(qbo: Qbo, fixture: Any) -> None:
    await qbo.reset(customers=1)
    sample = {
        item["bId"]: item
        for item in fixture("batch.response.json")["BatchItemResponse"]
    }
    await qbo.create("Vendor", {"DisplayName": "Smith Family Store"})
    invoice = await qbo.create("Invoice", fixture("invoice.create.request.json"))
    customer = (await qbo.ok(await qbo.get("customer/1")))["Customer"]
    request = {
        "BatchItemRequest": [
            {
                "bId": "bid1",
                "operation": "create",
                "Vendor": {"DisplayName": "Smith Family Store"},
            },
            {
                "bId": "bid2",
                "operation": "delete",
                "Invoice": {"Id": "9999", "SyncToken": "0"},
            },
            {
                "bId": "bid3",
                "operation": "update",
                "Customer": {"Id": "1", "SyncToken": "7", "sparse": True, "Notes": "n"},
            },
            {"bId": "bid4", "Query": "select * from Invoice where TotalAmt > '50.00'"},
            {
                "bId": "bid5",
                "operation": "create",
                "Vendor": {"DisplayName": "New Vendor"},
            },
            {
                "bId": "bid6",
                "operation": "update",
                "Customer": {
                    "Id": "1",
                    "SyncToken": customer["SyncToken"],
                    "sparse": True,
                    "Notes": "ok",
                },
            },
            {
                "bId": "bid7",
                "operation": "delete",
                "Invoice": {"Id": invoice["Id"], "SyncToken": "0"},
            },
        ]
    }
    body = await qbo.ok(await qbo.post("batch", request))
    results = {item["bId"]: item for item in body["BatchItemResponse"]}
    assert set(results) == {f"bid{n}" for n in range(1, 8)}
    for bid in ("bid1", "bid2", "bid3"):
        assert results[bid]["Fault"] == sample[bid]["Fault"]
    assert results["bid4"]["QueryResponse"]["Invoice"][0]["Id"] == invoice["Id"]
    assert results["bid5"]["Vendor"]["DisplayName"] == "New Vendor"
    assert results["bid6"]["Customer"]["Notes"] == "ok"
    assert results["bid7"]["Invoice"]["status"] == "Deleted"
    stats = await qbo.admin_get("stats")
    assert stats["batch_items"] == 7


async def test_more_than_thirty_items_is_refused(qbo: Qbo) -> None:
    items = [
        {"bId": str(n), "operation": "create", "Vendor": {"DisplayName": f"V{n}"}}
        for n in range(31)
    ]
    error = await qbo.fault(await qbo.post("batch", {"BatchItemRequest": items}))
    assert error["code"] == "1040"
    assert await qbo.query("select count(*) from Vendor") == {"totalCount": 0}
    body = await qbo.ok(await qbo.post("batch", {"BatchItemRequest": items[:30]}))
    assert len(body["BatchItemResponse"]) == 30


async def test_batch_void_via_options_data(qbo: Qbo, fixture: Any) -> None:
    await qbo.reset(customers=1)
    invoice = await qbo.create("Invoice", fixture("invoice.create.request.json"))
    item = {
        "bId": "v",
        "operation": "update",
        "optionsData": "void",
        "Invoice": {"Id": invoice["Id"], "SyncToken": "0"},
    }
    body = await qbo.ok(await qbo.post("batch", {"BatchItemRequest": [item]}))
    assert body["BatchItemResponse"][0]["Invoice"]["TotalAmt"] == 0.0
