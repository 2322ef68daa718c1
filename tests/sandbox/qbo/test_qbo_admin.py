"""The /_sandbox/ surface: deterministic seeding, snapshots, records."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from services.qbo_sandbox import SandboxConfig, create_app

if TYPE_CHECKING:
    from conftest import Qbo

pytestmark = pytest.mark.sandbox

SIZES = {
    "customers": 1000,
    "items": 200,
    "invoices": 3000,
    "estimates": 500,
    "vendors": 300,
}


async def test_seeding_is_fast_and_deterministic(qbo: Qbo) -> None:
    started = time.perf_counter()
    creds = await qbo.reset(**SIZES)
    assert time.perf_counter() - started < 3.0
    counts = creds["counts"]
    assert counts["Customer"] == 1000
    assert counts["Invoice"] == 3000
    assert counts["Item"] == 202  # plus the default "Services" and "Hours"
    for key in ("client_id", "client_secret", "refresh_token", "realm_id", "token_url"):
        assert creds[key]
    first = (await qbo.ok(await qbo.get("invoice/1500")))["Invoice"]
    await qbo.reset(**SIZES)
    again = (await qbo.ok(await qbo.get("invoice/1500")))["Invoice"]
    assert again["Line"] == first["Line"]
    assert again["CustomerRef"] == first["CustomerRef"]
    customer = (await qbo.ok(await qbo.get("customer/7")))["Customer"]
    assert "@" in customer["PrimaryEmailAddr"]["Address"]
    assert customer["BillAddr"]["City"]


async def test_records_endpoint_spends_no_api_calls(qbo: Qbo) -> None:
    await qbo.reset(customers=3)
    response = await qbo.session.get(f"{qbo.base}/_sandbox/records?entity=Customer")
    assert len((await response.json())["records"]) == 3
    assert (await qbo.admin_get("stats"))["total"] == 0


async def test_snapshot_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "qbo.json"
    config = SandboxConfig(snapshot=path)
    server = TestServer(create_app(config), host="127.0.0.1", port=0)
    await server.start_server()
    async with ClientSession() as session:
        reset = await session.post(
            server.make_url("/_sandbox/reset"), json={"customers": 4}
        )
        creds = await reset.json()
    await server.close()
    assert path.exists()
    server = TestServer(create_app(config), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with ClientSession() as session:
            url = server.make_url(f"/v3/company/{creds['realm_id']}/customer/4")
            headers = {"Authorization": f"Bearer {creds['access_token']}"}
            response = await session.get(url, headers=headers)
            assert response.status == 200
    finally:
        await server.close()


async def test_count_endpoint_finds_emails_and_spends_no_api_calls(qbo: Qbo) -> None:
    await qbo.reset(customers=5)
    await qbo.create(
        "Customer",
        {"DisplayName": "Lat One", "PrimaryEmailAddr": {"Address": "a@lat-1.test"}},
    )
    await qbo.session.delete(f"{qbo.base}/_sandbox/stats")
    answer = await qbo.admin_get("count?entity=Customer&email_contains=@LAT-")
    assert answer == {
        "count": 6,
        "active": 6,
        "distinct_emails": 6,
        "matching": ["a@lat-1.test"],
    }
    other = await qbo.admin("companies", {"seed": 2, "customers": 2})
    realm = other["realm_id"]
    assert (await qbo.admin_get(f"count?realm_id={realm}"))["count"] == 2
    assert (await qbo.admin_get(f"count?realm_id={realm}"))["matching"] == []
    assert (await qbo.admin_get("stats"))["total"] == 0
