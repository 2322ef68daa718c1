"""The Overview page in headless Chromium: a person logs in and sees each
side's connection status, the counts per pair kind and direction (refused
and failed linking to the records page) and the queues."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.admin.browser import browser, logged_in, screenshot
from tests.admin.conftest import TOKEN, RunningConsole
from tests.admin.test_overview_api import TENANT, save_connection, seed_records

pytestmark = pytest.mark.integration
__all__ = ["browser"]  # the fixture, used by name


async def test_the_overview_shows_connections_counts_and_queues(
    running_console: RunningConsole, browser: Browser
) -> None:
    console = running_console.console
    await save_connection(console.settings, console.store, TENANT)
    await seed_records(console)

    page = await logged_in(browser, running_console.base, TOKEN)

    assert await page.title() == "Overview · Zoho ⇄ QuickBooks sync"
    sides = page.locator(f'table.overview-connection[data-tenant="{TENANT}"] tr')
    crm = sides.filter(has=page.locator('td:text("Zoho CRM")'))
    assert await crm.locator(".status").inner_text() == "active"
    qbo = page.locator(
        f'table.overview-connection[data-tenant="{TENANT}"] tr[data-system="qbo"]'
    )
    assert await qbo.locator(".status").inner_text() == "needs_reauth"
    assert "QBO_CLIENT_ID" in await qbo.inner_text()
    table = page.locator(f'table.overview-counts[data-tenant="{TENANT}"]')
    counts = table.locator('tr[data-kind="contact"][data-from="crm"]')
    assert await counts.locator("td.total").inner_text() == "11"
    assert await counts.locator("td.linked").inner_text() == "1"
    assert await counts.locator("td.in-flight").inner_text() == "1"
    refused = counts.locator("td.refused a")
    assert await refused.inner_text() == "4"
    assert await refused.get_attribute("href") == (
        f"/ui/records?tenant={TENANT}&state=refused&system=crm&entity=contact"
    )
    assert "refused 2× no email" in await counts.locator("td.why").inner_text()
    assert await page.locator("#overview-counts[data-live='5']").count() == 1
    assert await page.locator("#overview-queues table.overview-queues tr").count() > 5
    await screenshot(page, "overview")
