"""The dashboard's login in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.admin.browser import browser, logged_in, screenshot
from tests.admin.conftest import TOKEN, RunningConsole

pytestmark = pytest.mark.integration
__all__ = ["browser"]  # the fixture, used by name


async def test_a_wrong_token_is_refused_and_the_right_one_logs_in(
    running_console: RunningConsole, browser: Browser
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{running_console.base}/ui/")
    await page.fill("input[name=token]", "not-the-token")
    await page.click("form.login button[type=submit]")
    assert "wrong admin token" in await page.inner_text("main")
    await screenshot(page, "login-refused")
    page = await logged_in(browser, running_console.base, TOKEN)
    assert await page.locator("header nav a").count() >= 1
    assert await page.locator("form.logout").count() == 1
    await screenshot(page, "logged-in")
