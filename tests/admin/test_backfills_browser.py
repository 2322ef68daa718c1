"""The Backfills page in headless Chromium against the whole system: a person
starts a backfill with a since-date and watches its progress bar fill."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from tests.admin.browser import browser, logged_in, screenshot
from tests.e2e.conftest import system
from tests.e2e.system import E2E_ADMIN_TOKEN, TENANT, System

pytestmark = pytest.mark.e2e
__all__ = ["browser", "system"]  # the fixtures, used by name


async def test_a_backfill_started_from_the_page_fills_its_progress_bar(
    system: System, browser: Browser
) -> None:
    for number in range(3):
        await system.zoho.insert("Accounts", {"Account_Name": f"Old firm {number}"})
    page = await logged_in(browser, system.admin_url, E2E_ADMIN_TOKEN)
    await page.click("header nav a:text-is('Backfills')")
    await page.wait_for_url(f"{system.admin_url}/ui/backfills")
    assert await page.inner_text("#backfill-runs") == "No backfill has run yet."

    form = page.locator("form.backfill-start")
    await form.locator("select[name=tenant]").select_option(TENANT)
    await form.locator("select[name=system]").select_option("crm")
    await form.locator("input[name=since]").fill("2020-01-01")
    crm = form.locator("fieldset", has_text="Zoho CRM entities")
    await crm.locator("input[value=account]").check()
    await form.locator("button[type=submit]").click()

    result = page.locator("#backfill-result")
    await expect(result).to_have_text(re.compile(r"^backfill \w+ started for demo"))
    run_id = (await result.inner_text()).split()[1]
    row = page.locator(f"tr[data-run='{run_id}']")
    await expect(row).to_contain_text("2020-01-01")
    await expect(row).to_contain_text("by console")
    # The live section refreshes every 2 s until the run is done.
    await expect(row.locator("td.run-status")).to_have_text("done", timeout=90_000)
    account = row.locator("tr[data-entity=account]")
    await expect(account).to_have_attribute("data-status", "done")
    await expect(account.locator("progress")).to_have_attribute("value", "100.0")
    await expect(account).to_contain_text(re.compile(r"(\d+)/\1 records, 1 page"))
    await screenshot(page, "backfill")
