"""The Records area end to end: every service a process (the admin service
included), both sandboxes.

A contact made in Zoho with no account and no address (a partial record)
syncs; looking it up by its email shows both sides and its history; after
an edit in Zoho, Force sync answers with the outcome (written, or unchanged
when nothing differs) and QuickBooks holds the edit. The same in a browser.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.admin.browser import browser, logged_in, screenshot
from tests.admin.openapi_check import Api
from tests.e2e.conftest import system
from tests.e2e.system import E2E_ADMIN_TOKEN, TENANT, System
from tests.support import wait_for

pytestmark = pytest.mark.e2e
__all__ = ["browser", "system"]  # the fixtures, used by name


async def zoho_contact(system: System, email: str) -> str:
    return await system.zoho.insert(
        "Contacts", {"First_Name": "Cleo", "Last_Name": "Partial", "Email": email}
    )


async def synced_pair(api: Api, email: str) -> dict[tuple[str, str], str]:
    """(system, entity) → id of both sides found by the email, once synced."""
    found: dict[str, Any] = {}

    async def both_synced() -> bool:
        nonlocal found
        found = await api.get("/api/records", q=email, tenant=TENANT)
        states = [r["state"] for r in found["records"]]
        return len(states) == 2 and set(states) == {"synced"}

    await wait_for(both_synced, seconds=45)
    return {(r["system"], r["entity"]): r["external_id"] for r in found["records"]}


async def qbo_phone(system: System, customer_id: str) -> str | None:
    status, body = await system.qbo.call("GET", f"customer/{customer_id}")
    assert status == 200, body
    phone: str | None = (body["Customer"].get("PrimaryPhone") or {}).get(
        "FreeFormNumber"
    )
    return phone


async def test_look_up_a_partial_contact_edit_it_and_force_sync(
    system: System,
) -> None:
    email = "cleo@partial.example"
    contact_id = await zoho_contact(system, email)
    async with aiohttp.ClientSession() as http:
        api = Api(http, system.admin_url, E2E_ADMIN_TOKEN)
        pair = await synced_pair(api, "CLEO@partial.example")
        assert pair[("crm", "contact")] == contact_id
        customer_id = pair[("qbo", "customer")]

        shown = await api.get(f"/api/records/crm/contact/{contact_id}", tenant=TENANT)
        assert shown["state"]["state"] == "synced"
        crm, qbo = shown["sides"]["crm"], shown["sides"]["qbo"]
        assert crm["record"]["email"] == email
        assert qbo["external_id"] == customer_id
        assert qbo["record"]["email"] == email
        for side in (crm, qbo):  # read now, or why not
            assert side["live"]["available"] or side["live"]["reason"]
        assert shown["differs"] == []
        # No account, no address: unknown on the CRM side, never "differs".
        rows = {row["field"]: row for row in shown["fields"]}
        assert rows["company_name"]["crm"]["carried"] is False
        actions = [entry["action"] for entry in shown["history"]]
        assert actions[-1] == "create"  # the oldest
        assert "created" in actions

        status, body = await system.zoho.call(
            "PUT", "/Contacts", json={"data": [{"id": contact_id, "Phone": "555-0142"}]}
        )
        assert status == 200, body
        done = await api.post(
            f"/api/records/crm/contact/{contact_id}/force-sync?tenant={TENANT}&wait=60"
        )
        assert done["outcome"] in ("written", "unchanged"), done
        if done["outcome"] == "written":
            assert done["direction"] == "crm→qbo"
            assert "phone" in done["fields"]
        assert done["message"].startswith(done["outcome"])

        async def phone_arrived() -> bool:
            return await qbo_phone(system, customer_id) == "555-0142"

        await wait_for(phone_arrived, seconds=30)
        after = await api.get(
            f"/api/records/crm/contact/{contact_id}", tenant=TENANT, live="no"
        )
        assert "force_requested" in [e["action"] for e in after["history"]]


async def test_the_record_page_in_a_browser(system: System, browser: Browser) -> None:
    email = "cleo.browser@partial.example"
    contact_id = await zoho_contact(system, email)
    async with aiohttp.ClientSession() as http:
        api = Api(http, system.admin_url, E2E_ADMIN_TOKEN)
        await synced_pair(api, email)

    page = await logged_in(browser, system.admin_url, E2E_ADMIN_TOKEN)
    await page.goto(f"{system.admin_url}/ui/records")
    await page.fill("input[name=q]", email)
    await page.click("form.search button[type=submit]")
    await page.click(f"a:text-is('{contact_id}')")
    await page.wait_for_url(f"**/ui/records/crm/contact/{contact_id}?tenant={TENANT}")

    state = page.locator(".record-state")
    assert "synced" in await state.inner_text()
    assert "state-synced" in (await state.get_attribute("class") or "")
    assert email in await page.inner_text(".side-crm")
    assert "QuickBooks" in await page.inner_text(".side-qbo")
    assert await page.locator("table.fields tr[data-field=email]").count() == 1
    assert "create" in await page.inner_text("table.history")

    await page.click("button:text-is('Force sync')")
    outcome = page.locator("#force-outcome")
    await outcome.filter(has_text="now ").wait_for(timeout=70_000)
    said = await outcome.inner_text()
    assert said.startswith(("written", "unchanged")), said
    assert "error" not in (await outcome.get_attribute("class") or "")
    # The page's state, sides and history are read again after the outcome.
    history = page.locator("table.history")
    await history.filter(has_text="force_requested").wait_for(timeout=10_000)
    await screenshot(page, "record")
