"""Throttles, injected faults and request statistics."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Qbo

pytestmark = pytest.mark.sandbox

THROTTLE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"


async def test_per_minute_limit_and_its_429_body(qbo: Qbo) -> None:
    await qbo.admin("limits", {"per_minute": 5})
    statuses = [(await qbo.get("preferences")).status for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    response = await qbo.get("preferences")
    body = await response.json()
    assert response.status == 429
    assert body["Fault"]["type"] == "SERVICE"
    assert body["Fault"]["Error"][0] == {
        "Message": THROTTLE,
        "Detail": "The request limit was reached.",
        "code": "3001",
    }
    assert "time" in body
    await qbo.admin("clock", {"advance_seconds": 61})
    await qbo.refresh()
    assert (await qbo.get("preferences")).status == 200


async def test_default_limit_is_500_per_minute(qbo: Qbo) -> None:
    statuses = await asyncio.gather(*(qbo.get("preferences") for _ in range(501)))
    codes = sorted(r.status for r in statuses)
    assert codes.count(200) == 500
    assert codes.count(429) == 1


async def test_limits_are_per_realm(qbo: Qbo) -> None:
    await qbo.admin("limits", {"per_minute": 2})
    for _ in range(2):
        await qbo.ok(await qbo.get("preferences"))
    assert (await qbo.get("preferences")).status == 429
    qbo.creds = await qbo.admin("companies", {"seed": 9})
    assert (await qbo.get("preferences")).status == 200


async def test_ten_concurrent_requests(qbo: Qbo) -> None:
    await qbo.admin("faults", {"latency_ms": 200})
    responses = await asyncio.gather(*(qbo.get("preferences") for _ in range(15)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] * 10 + [429] * 5


async def test_forty_batches_per_minute(qbo: Qbo) -> None:
    query = {"BatchItemRequest": [{"bId": "q", "Query": "select * from Term"}]}
    statuses = [(await qbo.post("batch", query)).status for _ in range(41)]
    assert statuses == [200] * 40 + [429]
    assert (await qbo.get("preferences")).status == 200


async def test_xml_throttle_format(qbo: Qbo, fixture: Any) -> None:
    capture = fixture("fault.3001.throttle.xml_capture.json")["body"]
    await qbo.admin("faults", {"throttle_rate": 1.0, "throttle_format": "xml"})
    response = await qbo.get("preferences")
    assert response.status == 429
    assert response.content_type == "application/xml"
    text = await response.text()
    start = capture.index("<Fault")
    assert text[text.index("<Fault") :] == capture[start:]


async def test_seeded_faults_repeat(qbo: Qbo) -> None:
    async def run() -> list[int]:
        await qbo.admin("faults", {"seed": 7, "error_rate": 0.3, "throttle_rate": 0.2})
        return [(await qbo.get("preferences")).status for _ in range(30)]

    first, second = await run(), await run()
    assert first == second
    assert {200, 429, 500} <= set(first)
    await qbo.admin("faults", {"error_rate": 1.0})
    error = await qbo.fault(await qbo.get("preferences"), status=500)
    assert error["code"] == "10000"


async def test_timeout_after_the_write_happened(qbo: Qbo) -> None:
    await qbo.admin("faults", {"timeout_rate": 1.0, "timeout_seconds": 0.2})
    response = await qbo.post(
        "customer", {"DisplayName": "Ghost Write"}, requestid="t-1"
    )
    assert response.status == 504
    await qbo.admin("faults", {})
    retry = await qbo.post("customer", {"DisplayName": "Ghost Write"}, requestid="t-1")
    assert (await qbo.ok(retry))["Customer"]["DisplayName"] == "Ghost Write"
    assert await qbo.query("select count(*) from Customer") == {"totalCount": 1}


async def test_stats_count_by_method_path_and_status(qbo: Qbo) -> None:
    await qbo.create("Customer", {"DisplayName": "Counted"})
    await qbo.get("customer/1")
    await qbo.get("customer/999")
    await qbo.query("select * from Customer")
    stats = await qbo.admin_get("stats")
    rows = {
        (r["method"], r["path"], r["status"]): r["count"] for r in stats["requests"]
    }
    assert rows[("POST", "/v3/company/{realmId}/customer", 200)] == 1
    assert rows[("GET", "/v3/company/{realmId}/customer/{id}", 200)] == 1
    assert rows[("GET", "/v3/company/{realmId}/customer/{id}", 400)] == 1
    assert rows[("GET", "/v3/company/{realmId}/query", 200)] == 1
    assert stats["total"] == 4
    await qbo.session.delete(f"{qbo.base}/_sandbox/stats")
    assert (await qbo.admin_get("stats"))["total"] == 0
