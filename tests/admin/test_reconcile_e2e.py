"""Reconcile end to end: every service a process, both sandboxes.

Two Zoho contacts sync to QuickBooks. Then, behind the sync's back, one
customer's phone changes and one customer is made that exists in
QuickBooks only: QuickBooks' webhooks are stopped and its clock is set a
day back while those changes are made, so the gateway's change-data polls
(which read from their watermark on) never see them either. The reconcile,
started in the console and by syncctl, reports exactly those two; a person
follows one in the browser and downloads its CSV.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser

from common.store import Store
from services.admin.syncctl import run
from tests.admin.browser import browser, logged_in, screenshot
from tests.admin.openapi_check import Api
from tests.e2e.conftest import system
from tests.e2e.system import E2E_ADMIN_TOKEN, TENANT, System
from tests.support import wait_for

pytestmark = pytest.mark.e2e
__all__ = ["browser", "system"]  # the fixtures, used by name

DAY = 86_400
PEOPLE = {"ann@reconcile.example": "555-0100", "bo@reconcile.example": "555-0200"}


async def synced_pairs(system: System, store: Store) -> dict[str, tuple[str, str]]:
    """Both contacts made in Zoho and synced: email → (contact id, customer id)."""
    contacts = {}
    for number, (email, phone) in enumerate(PEOPLE.items()):
        contacts[email] = await system.zoho.insert(
            "Contacts",
            {
                "First_Name": f"Person{number}",
                "Last_Name": "Reconciled",
                "Email": email,
                "Phone": phone,
            },
        )
    pairs: dict[str, tuple[str, str]] = {}

    async def settled() -> bool:
        """Linked, the writes confirmed, and each customer's own echo seen
        (its webhook's read is done: it cannot pick up a later change)."""
        async for doc in store.db["matcher_links"].find({"tenant": TENANT}):
            for email, contact in contacts.items():
                confirmed = doc.get("qbo_id") and not doc.get("pending")
                if doc.get("crm_id") == contact and confirmed:
                    pairs[email] = (contact, str(doc["qbo_id"]))
        echoes = [f"{TENANT}|qbo|customer|{customer}" for _, customer in pairs.values()]
        seen = await store.db["matcher_mirror"].count_documents(
            {"_id": {"$in": echoes}}
        )
        return len(pairs) == len(PEOPLE) and seen == len(PEOPLE)

    await wait_for(settled, seconds=40)
    return pairs


@asynccontextmanager
async def behind_the_syncs_back(system: System) -> AsyncIterator[None]:
    """QuickBooks changes nobody is told of: no webhooks, and stamped a day
    back, before the gateway's polling watermark."""
    await system.qbo.admin("DELETE", "webhooks")
    await system.qbo.admin("POST", "clock", {"advance_seconds": -DAY})
    try:
        yield
    finally:
        await system.qbo.admin("POST", "clock", {"advance_seconds": DAY})


async def change_phone(system: System, customer: str, phone: str) -> None:
    status, body = await system.qbo.call("GET", f"customer/{customer}")
    assert status == 200, body
    status, body = await system.qbo.call(
        "POST",
        "customer",
        json={
            "Id": customer,
            "SyncToken": body["Customer"]["SyncToken"],
            "sparse": True,
            "PrimaryPhone": {"FreeFormNumber": phone},
        },
    )
    assert status == 200, body


async def create_customer(system: System, name: str, email: str) -> str:
    status, body = await system.qbo.call(
        "POST",
        "customer",
        json={"DisplayName": name, "PrimaryEmailAddr": {"Address": email}},
    )
    assert status == 200, body
    return str(body["Customer"]["Id"])


async def diverged(system: System, store: Store) -> tuple[dict[str, Any], str]:
    """The scenario: the expected differing pair, and the QBO-only customer."""
    pairs = await synced_pairs(system, store)
    contact, customer = pairs["ann@reconcile.example"]
    async with behind_the_syncs_back(system):
        await change_phone(system, customer, "555-0199")
        alone = await create_customer(system, "Cy Alone", "cy@reconcile.example")
    differs = {
        "finding": "differs",
        "crm_id": contact,
        "qbo_id": customer,
        "label": "Person0 Reconciled <ann@reconcile.example>",
        "field": "phone",
        "crm_value": "555-0100",
        "qbo_value": "555-0199",
    }
    return differs, alone


def missing(alone: str) -> dict[str, Any]:
    return {
        "finding": "missing_in_crm",
        "crm_id": None,
        "qbo_id": alone,
        "label": "Cy Alone <cy@reconcile.example>",
        "field": None,
        "crm_value": None,
        "qbo_value": None,
    }


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


async def finished(api: Api, run_id: str) -> dict[str, Any]:
    latest: dict[str, Any] = {}

    async def ended() -> bool:
        latest.update(await api.get(f"/api/reconcile/{run_id}"))
        return latest["status"] != "running"

    await wait_for(ended, seconds=60)
    return latest


async def test_a_reconcile_reports_exactly_what_differs_and_what_is_missing(
    system: System,
    store: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    differs, alone = await diverged(system, store)
    expected = [differs, missing(alone)]

    async with aiohttp.ClientSession() as http:
        api = Api(http, system.admin_url, E2E_ADMIN_TOKEN)
        started = await api.post(
            "/api/reconcile", {"tenant": TENANT, "entity": "customer"}
        )
        done = await finished(api, started["run_id"])
        assert done["status"] == "done", done
        assert done["findings"] == expected
        assert done["counts"] == {
            "missing_in_qbo": 0,
            "missing_in_crm": 1,
            "differs": 1,
            "unreadable": 0,
        }
        assert done["sides"]["crm"] == {"pages": 1, "records": 2, "done": True}
        assert done["sides"]["qbo"] == {"pages": 1, "records": 3, "done": True}
        assert done["links"] == 2

        async with http.get(
            f"{system.admin_url}/api/reconcile/{started['run_id']}.csv",
            headers={"Authorization": f"Bearer {E2E_ADMIN_TOKEN}"},
        ) as response:
            assert response.status == 200
            assert response.headers["Content-Disposition"].startswith("attachment;")
            rows = list(csv.DictReader(io.StringIO(await response.text())))
        assert [row["finding"] for row in rows] == ["differs", "missing_in_crm"]
        assert rows[0]["qbo_value"] == "555-0199"
        assert rows[1]["qbo_id"] == alone

        # syncctl runs the same reconcile inline, recorded as its own run
        capsys.readouterr()
        out_csv = tmp_path / "findings.csv"
        argv = ["reconcile", "contact", "--tenant", TENANT, "--json"]
        assert await run([*argv, "--csv", str(out_csv)], system.settings) == 0
        printed = capsys.readouterr()
        assert [json.loads(line) for line in printed.out.splitlines()] == expected
        assert "Zoho CRM: 1 page, 2 records read" in printed.err
        assert "QuickBooks: 1 page, 3 records read" in printed.err
        assert out_csv.read_text().count("\n") == 3  # header and two findings
        runs = (await api.get("/api/reconcile", tenant=TENANT))["runs"]
        assert [r["started_by"] for r in runs] == ["syncctl", "console"]


async def test_a_person_follows_a_reconcile_and_downloads_its_csv(
    system: System, store: Store, browser: Browser
) -> None:
    differs, alone = await diverged(system, store)
    page = await logged_in(browser, system.admin_url, E2E_ADMIN_TOKEN)
    await page.goto(f"{system.admin_url}/ui/reconcile")
    await page.select_option("form.reconcile-start select[name=entity]", "contact")
    await page.click("form.reconcile-start button[type=submit]")
    await page.wait_for_selector("#reconcile-result.ok")
    assert "started" in await page.inner_text("#reconcile-result")
    # the recent runs refresh by themselves; the new run links to its page
    await page.click("#reconcile-runs tbody tr a")
    await page.wait_for_selector("table.reconcile-findings", timeout=60_000)
    rows = page.locator("table.reconcile-findings tbody tr")
    assert await rows.count() == 2
    first = await rows.nth(0).inner_text()
    assert "differs" in first
    assert "555-0100" in first
    assert "555-0199" in first
    assert alone in await rows.nth(1).inner_text()
    assert "missing in crm" in await rows.nth(1).inner_text()
    await screenshot(page, "reconcile")

    async with page.expect_download() as waiting:
        await page.click("a.reconcile-csv")
    download = await waiting.value
    rows_read = csv_rows(Path(await download.path()))
    assert [row["finding"] for row in rows_read] == ["differs", "missing_in_crm"]
    assert rows_read[0]["crm_id"] == differs["crm_id"]
    assert download.suggested_filename.startswith(f"reconcile-{TENANT}-contact-")
