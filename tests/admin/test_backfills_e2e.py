"""Backfills end to end: every service a process, both sandboxes. A person
starts a backfill through the console's API (and one with syncctl) and
follows it until every entity has read all of its records."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from services.admin.syncctl import run
from tests.admin.openapi_check import Api
from tests.e2e.conftest import system
from tests.e2e.system import E2E_ADMIN_TOKEN, TENANT, System
from tests.support import wait_for

pytestmark = pytest.mark.e2e
__all__ = ["system"]  # the fixture, used by name


async def finished(api: Api, run_id: str, seconds: float = 120) -> dict[str, Any]:
    """The run once it is no longer running (polled as the page does)."""
    latest: dict[str, Any] = {}

    async def ended() -> bool:
        latest.update(await api.get(f"/api/backfills/{run_id}"))
        return latest["status"] != "running"

    await wait_for(ended, seconds=seconds)
    return latest


async def test_a_backfill_started_in_the_console_reads_every_record(
    system: System, capsys: pytest.CaptureFixture[str]
) -> None:
    for number in range(3):  # the sandbox has two items, no customer yet
        status, body = await system.qbo.call(
            "POST", "customer", json={"DisplayName": f"Backfilled {number}"}
        )
        assert status == 200, body
    for number in range(2):
        await system.zoho.insert("Vendors", {"Vendor_Name": f"Supplier {number}"})
    async with aiohttp.ClientSession() as http:
        api = Api(http, system.admin_url, E2E_ADMIN_TOKEN)

        started = await api.post(
            "/api/backfills",
            {
                "tenant": TENANT,
                "system": "qbo",
                "since": "2000-01-01",
                "entities": ["item", "customer"],
            },
        )
        assert started["message"].startswith(f"backfill {started['id']} started")
        assert started["started_by"] == "console"
        # backfill order: customers before items
        assert [e["entity"] for e in started["entities"]] == ["customer", "item"]

        by_console = await finished(api, started["id"])

        assert by_console["status"] == "done", by_console
        for entity in by_console["entities"]:
            assert entity["status"] == "done", entity
            assert entity["total"] >= 2, entity  # known: 3 customers, 2 items
            assert entity["published"] == entity["total"], entity
            assert entity["pages"] >= 1
            assert entity["percent"] == 100.0

        # syncctl starts the same kind of run, recorded as its own
        capsys.readouterr()
        argv = ["backfill", "start", "--tenant", TENANT, "--system", "crm"]
        assert await run([*argv, "--entity", "vendor"], system.settings) == 0
        run_id = capsys.readouterr().out.split()[1]
        by_syncctl = await finished(api, run_id)
        assert by_syncctl["started_by"] == "syncctl"
        assert by_syncctl["status"] == "done", by_syncctl
        vendors = by_syncctl["entities"][0]
        assert vendors["published"] == vendors["total"] >= 2
        listed = (await api.get("/api/backfills", tenant=TENANT))["runs"]
        assert [r["id"] for r in listed] == [run_id, started["id"]]


async def test_the_gateway_refuses_a_tenant_it_cannot_read(system: System) -> None:
    async with aiohttp.ClientSession() as http:
        api = Api(http, system.admin_url, E2E_ADMIN_TOKEN)

        status, answer = await api.call(
            "POST",
            "/api/backfills",
            json={"tenant": "nobody", "system": "crm", "since": "2000-01-01"},
        )

        assert status == 400
        assert "tenant 'nobody' has no connection" in answer["error"]
        assert (await api.get("/api/backfills"))["runs"] == []
