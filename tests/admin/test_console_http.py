"""The console's HTTP surface: the token on every route, the login, the
OpenAPI document, errors as JSON."""

from __future__ import annotations

import re

import aiohttp
import pytest
from aiohttp import web
from openapi_spec_validator import validate

from services.admin.http.auth import COOKIE
from services.admin.http.openapi import document
from tests.admin.conftest import TOKEN, RunningConsole
from tests.admin.openapi_check import check

pytestmark = pytest.mark.integration

OPEN = {"/healthz", "/readyz", "/metrics", "/ui/login"}


def test_the_openapi_document_is_valid() -> None:
    validate(document())


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


async def test_every_route_refuses_a_missing_or_wrong_token(
    running_console: RunningConsole,
) -> None:
    app_routes = {
        (route.method, route.resource.canonical)
        for route in _routes(running_console)
        if route.method != "HEAD" and route.resource is not None
    }
    guarded = sorted(
        (method, path)
        for method, path in app_routes
        if path not in OPEN and not path.startswith("/ui/static")
    )
    assert ("GET", "/api/openapi.json") in guarded
    async with aiohttp.ClientSession() as http:
        for method, path in guarded:
            url = running_console.base + _concrete(path)
            for headers in ({}, {"Authorization": "Bearer wrong-token"}):
                async with http.request(
                    method, url, headers=headers, allow_redirects=False
                ) as response:
                    assert response.status == 401, (method, path, headers)
                    body = await response.text()
                    assert TOKEN not in body
                    if path.startswith("/api"):
                        payload = await response.json()
                        check(method, _concrete(path), 401, payload)
            async with http.request(
                method, url, cookies={COOKIE: "forged"}, allow_redirects=False
            ) as response:
                assert response.status == 401, (method, path, "cookie")


def _routes(running: RunningConsole) -> list[web.AbstractRoute]:
    return list(running.app.router.routes())


async def test_the_login_page_sets_a_session_the_pages_and_api_accept(
    running_console: RunningConsole,
) -> None:
    base = running_console.base
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(f"{base}/ui/", allow_redirects=False) as response:
            assert response.status == 401
            assert 'name="token"' in await response.text()
        async with browser.post(
            f"{base}/ui/login", data={"token": "nope", "next": "/ui/"}
        ) as response:
            assert response.status == 401
            assert "wrong admin token" in await response.text()
        async with browser.post(
            f"{base}/ui/login",
            data={"token": TOKEN, "next": "https://elsewhere.example/"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            # Never sent elsewhere after logging in.
            assert response.headers["Location"] == "/ui/"
            assert TOKEN not in response.headers.get("Set-Cookie", "")
            assert "HttpOnly" in response.headers["Set-Cookie"]
        async with browser.get(f"{base}/api/openapi.json") as response:
            assert response.status == 200
        async with browser.post(f"{base}/ui/logout", allow_redirects=False) as response:
            assert response.status == 303
        async with browser.get(f"{base}/api/openapi.json") as response:
            assert response.status == 401


async def test_probes_stay_open_and_unknown_api_paths_are_json_404s(
    running_console: RunningConsole,
) -> None:
    http = running_console.http
    async with http.get(f"{running_console.base}/readyz") as response:
        assert response.status == 200
    status, body = await running_console.api.call("GET", "/api/openapi.json")
    assert status == 200
    assert body["openapi"].startswith("3.1")
    async with http.get(
        f"{running_console.base}/api/no-such-thing",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as response:
        assert response.status == 404
        assert "error" in await response.json()
