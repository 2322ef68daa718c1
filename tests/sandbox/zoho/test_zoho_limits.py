"""Credits, concurrency, injected faults and request statistics."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.sandbox
COUNT = "/crm/v8/Contacts/actions/count"


async def test_credits_run_out_with_429_and_recover_after_24h(zoho):
    await zoho.reset(credit_limit=3)
    statuses = [(await zoho.call("GET", COUNT)).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    reply = await zoho.call("GET", COUNT)
    assert reply.body == {
        "code": "TOO_MANY_REQUESTS",
        "details": {},
        "message": "API credit limit exceeded for the day",
        "status": "error",
    }
    await zoho.call(
        "POST", "/_sandbox/clock", json={"advance_seconds": 86400}, auth=False
    )
    await zoho.call("POST", "/_sandbox/tokens/expire", json={}, auth=False)
    tokens = await zoho.call(
        "POST",
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": zoho.creds["client_id"],
            "client_secret": zoho.creds["client_secret"],
            "refresh_token": zoho.creds["refresh_token"],
        },
        auth=False,
    )
    zoho.creds["access_token"] = tokens.body["access_token"]
    assert (await zoho.call("GET", COUNT)).status == 200


async def test_remaining_credits_header(zoho):
    await zoho.reset(edition="free")
    reply = await zoho.call("GET", COUNT)
    assert reply.headers["X-RATELIMIT-LIMIT"] == "5000"
    assert reply.headers["X-RATELIMIT-REMAINING"] == "4999"


async def test_concurrency_over_the_edition_cap_is_429(zoho):
    await zoho.reset(concurrency=3)
    await zoho.call("POST", "/_sandbox/faults", json={"latency_ms": 200}, auth=False)
    replies = await asyncio.gather(*(zoho.call("GET", COUNT) for _ in range(6)))
    statuses = sorted(r.status for r in replies)
    assert statuses == [200, 200, 200, 429, 429, 429]


async def test_heavy_calls_share_a_sub_limit_of_ten(zoho):
    await zoho.reset()
    await zoho.call("POST", "/_sandbox/faults", json={"latency_ms": 200}, auth=False)
    query = {"select_query": "select Last_Name from Contacts where id is not null"}
    replies = await asyncio.gather(
        *(zoho.call("POST", "/crm/v8/coql", json=query) for _ in range(12))
    )
    assert sorted(r.status for r in replies).count(429) == 2


async def test_injected_faults_are_seeded(zoho):
    await zoho.reset()

    async def run():
        await zoho.call(
            "POST",
            "/_sandbox/faults",
            json={"seed": 5, "error_rate": 0.3, "throttle_rate": 0.3},
            auth=False,
        )
        return [(await zoho.call("GET", COUNT)).status for _ in range(20)]

    first, second = await run(), await run()
    assert first == second
    assert {200, 429, 500} <= set(first)


async def test_injected_timeout_hangs_the_call(zoho):
    await zoho.reset()
    await zoho.call(
        "POST",
        "/_sandbox/faults",
        json={"timeout_rate": 1, "timeout_seconds": 0.3},
        auth=False,
    )
    reply = await zoho.call("GET", COUNT)
    assert reply.status == 504


async def test_stats_count_requests_by_route_and_status(zoho):
    await zoho.reset(contacts=3)
    await zoho.call("GET", "/crm/v8/Contacts?fields=Last_Name")
    await zoho.call("GET", "/crm/v8/Contacts?fields=Last_Name")
    await zoho.call("GET", "/crm/v8/Contacts")
    stats = (await zoho.call("GET", "/_sandbox/stats", auth=False)).body
    rows = {
        (r["method"], r["path"], r["status"]): r["count"] for r in stats["requests"]
    }
    assert rows[("GET", "/crm/v8/{module}", 200)] == 2
    assert rows[("GET", "/crm/v8/{module}", 400)] == 1
    assert stats["api_calls"] == 3
    assert stats["credits_used"] == {"default": 2}
