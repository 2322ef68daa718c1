"""A dead letter from a real refused write, fixed and replayed from the console:
every service a process, both sandboxes, the console's API (and, in the
browser test, its page as a person uses it).

The refusal: new QuickBooks items get the company's "Sales of Product
Income" account; a person made it inactive in QuickBooks, so QuickBooks
refuses the item made for a new Zoho product ("Invalid Reference Id"). The
dead letter names the Zoho product. Nothing about the product changes when
the person makes the account active again, so the letter stays until it is
replayed; the replay's outcome says done, the product synced.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from tests.admin.browser import browser, logged_in, screenshot
from tests.admin.openapi_check import Api
from tests.e2e.conftest import system
from tests.e2e.system import E2E_ADMIN_TOKEN, TENANT, System
from tests.support import wait_for

pytestmark = pytest.mark.e2e
__all__ = ["browser", "system"]  # the fixtures, used by name

INCOME = "Sales of Product Income"
QUIET_SECONDS = 6.0  # three of the crm-gateway's poll intervals


async def item_id_of(system: System, product_id: str) -> str | None:
    found: str | None = (await system.zoho.get("Products", product_id)).get(
        "QuickBooks_Item_Id"
    )
    return found


async def synced_product(system: System, name: str) -> str:
    product_id = await system.zoho.insert(
        "Products", {"Product_Name": name, "Unit_Price": 10}
    )

    async def synced() -> bool:
        return bool(await item_id_of(system, product_id))

    await wait_for(synced, seconds=45)
    return product_id


async def set_income_account_active(system: System, active: bool) -> None:
    [account] = [a for a in await system.qbo.records("Account") if a["Name"] == INCOME]
    status, body = await system.qbo.call("GET", f"account/{account['Id']}")
    assert status == 200, body
    status, body = await system.qbo.call(
        "POST",
        "account",
        json={
            "Id": account["Id"],
            "SyncToken": body["Account"]["SyncToken"],
            "sparse": True,
            "Active": active,
        },
    )
    assert status == 200, body


async def refused_product(system: System, api: Api) -> tuple[str, dict[str, Any]]:
    """A Zoho product QuickBooks refused, and its dead letter as listed."""
    # The qbo-gateway looks its income account up once: a first item does.
    await synced_product(system, "Warm-up Board")
    await set_income_account_active(system, False)
    product_id = await system.zoho.insert(
        "Products", {"Product_Name": "Longboard", "Unit_Price": 420}
    )

    async def listed() -> bool:
        found = await api.get("/api/dead-letters", tenant=TENANT, entity="product")
        return found["total"] == 1

    await wait_for(listed, seconds=45)
    await quiet(api)
    found = await api.get("/api/dead-letters", tenant=TENANT)
    [group] = found["groups"]
    [item] = group["items"]
    assert (item["side"], item["module"], item["external_id"]) == (
        "Zoho CRM",
        "Products",
        product_id,
    )
    assert item["label"] == "Longboard"
    assert "Invalid Reference Id" in item["reason"]
    assert item["routing_key"] == "written.qbo.item"  # where it failed
    assert "Invalid Reference Id" in group["cause"]
    assert await item_id_of(system, product_id) is None
    return product_id, item


async def quiet(api: Api) -> None:
    """Until the letter has stopped changing. The product is read twice (its
    webhook, then the next poll, every 2 s here): the second read decides the
    refused record again, closing its letter and opening a new one. Fixed
    before that read, the record would sync by itself with no replay."""
    loop = asyncio.get_running_loop()
    seen: list[Any] = []
    since = loop.time()

    async def unchanged_a_while() -> bool:
        nonlocal seen, since
        found = await api.get("/api/dead-letters", tenant=TENANT)
        now = [
            (i["id"], i["last_failed_at"]) for g in found["groups"] for i in g["items"]
        ]
        if now != seen or not now:
            seen, since = now, loop.time()
        return loop.time() - since >= QUIET_SECONDS

    await wait_for(unchanged_a_while, seconds=45)


async def test_a_refused_write_fixed_then_replayed_syncs(system: System) -> None:
    async with aiohttp.ClientSession() as http:
        api = Api(http, system.admin_url, E2E_ADMIN_TOKEN)
        product_id, item = await refused_product(system, api)
        await set_income_account_active(system, True)  # the person's fix

        answer = await api.post("/api/dead-letters/replay", {"ids": [item["id"]]})

        [result] = answer["results"]
        assert result["done"] is True
        assert (await api.get("/api/dead-letters", tenant=TENANT))["total"] == 0

        async def settled() -> bool:
            found = await api.get("/api/dead-letters/replays", ids=result["replay"])
            return bool(found["replays"][0]["settled"])

        await wait_for(settled, seconds=45)
        [replay] = (await api.get("/api/dead-letters/replays", ids=result["replay"]))[
            "replays"
        ]
        assert replay["outcome"] == "done", replay
        assert replay["record"] == f"Zoho CRM Products {product_id} (Longboard)"
        assert replay["record_state"]["state"] == "synced"
        [made] = [
            i["Id"]
            for i in await system.qbo.records("Item")
            if i["Name"] == "Longboard"
        ]
        assert f"qbo item {made}" in replay["record_state"]["detail"]

        async def marked() -> bool:  # the product then gets its QuickBooks id
            return await item_id_of(system, product_id) == made

        await wait_for(marked, seconds=30)
        assert (await api.get("/api/dead-letters", tenant=TENANT))["total"] == 0


async def test_a_person_replays_it_from_the_page_and_sees_it_sync(
    system: System, browser: Browser
) -> None:
    async with aiohttp.ClientSession() as http:
        api = Api(http, system.admin_url, E2E_ADMIN_TOKEN)
        product_id, item = await refused_product(system, api)
    await set_income_account_active(system, True)

    page = await logged_in(browser, system.admin_url, E2E_ADMIN_TOKEN)
    await page.click("header nav >> text=Dead letters")
    await page.wait_for_url(f"{system.admin_url}/ui/dead-letters")
    row = page.locator(f'tr[data-letter="{item["id"]}"]')
    await expect(row).to_contain_text("Zoho CRM Products")
    await expect(row).to_contain_text("Longboard")
    await expect(row).to_contain_text("Invalid Reference Id")
    await expect(page.locator("#dl-replays")).to_contain_text("No replays yet")

    await screenshot(page, "dead-letters-refused")
    await row.locator("button.dl-replay").click()

    await expect(page.locator("#dl-status")).to_have_text("replayed 1 dead letter")
    await expect(row).to_have_count(0)  # the groups were refreshed
    outcome = page.locator("#dl-replays tr[data-replay] td.dl-outcome")
    # The live section shows the outcome appear without a reload.
    await expect(outcome).to_contain_text("done — record synced", timeout=45_000)
    await expect(page.locator("#dl-replays")).to_contain_text(
        f"Zoho CRM Products {product_id} (Longboard)"
    )
    await expect(page.locator("#dl-groups")).to_contain_text("Nothing failed")
    await screenshot(page, "dead-letters")
