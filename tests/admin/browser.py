"""Headless Chromium driving the dashboard, as a person would.

Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH) driven by
Playwright's Python package through ``executable_path``: no browser is
downloaded. Screenshots go to ``TEST_ARTIFACTS`` (default
var/test-artifacts/screenshots) so a failing run leaves pictures behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

REPO = Path(__file__).resolve().parents[2]


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not found:
        pytest.fail(
            "Chromium is not installed: `apt-get install chromium` "
            "(.ci/run installs it when missing)"
        )
    return found


def artifacts() -> Path:
    folder = (
        Path(os.environ.get("TEST_ARTIFACTS", REPO / "var" / "test-artifacts"))
        / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            await launched.close()


async def logged_in(browser: Browser, base: str, token: str) -> Page:
    """A page of a fresh browser context, logged in through the login form."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{base}/ui/")
    await page.fill("input[name=token]", token)
    await page.click("form.login button[type=submit]")
    await page.wait_for_url(f"{base}/ui/")
    return page


async def screenshot(page: Page, name: str) -> Path:
    path = artifacts() / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
