"""Starts the Zoho sandbox on a free loopback port for each test, and a tiny
receiver for notification callbacks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from services.zoho_sandbox import SandboxConfig, create_app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture
def zoho_fixture() -> Callable[[str], Any]:
    folder = FIXTURES / "zoho"

    def load(name: str) -> Any:
        return json.loads((folder / name).read_text())

    return load


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


@dataclass
class Sandbox:
    server: TestServer
    session: aiohttp.ClientSession
    creds: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self.creds['access_token']}"}

    async def reset(self, **body: Any) -> dict[str, Any]:
        reply = await self.call("POST", "/_sandbox/reset", json=body, auth=False)
        assert reply.status == 200, reply.body
        self.creds = reply.body
        return self.creds

    async def call(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Reply:
        all_headers = {**(self.auth if auth else {}), **(headers or {})}
        url = path if path.startswith("http") else self.base + path
        async with self.session.request(
            method, url, headers=all_headers, allow_redirects=False, **kwargs
        ) as response:
            text = await response.text()
            body = (
                json.loads(text)
                if text and response.content_type.endswith("json")
                else text or None
            )
            return Reply(response.status, body, response.headers)

    async def insert(self, module: str, *records: dict[str, Any]) -> Reply:
        return await self.call(
            "POST", f"/crm/v8/{module}", json={"data": list(records)}
        )


@pytest.fixture
async def zoho() -> AsyncIterator[Sandbox]:
    config = SandboxConfig(
        port=0,
        notify_batch_seconds=0.02,
        notify_retry_delays=(0.05, 0.1, 0.2),
        notify_timeout_seconds=2,
    )
    server = TestServer(create_app(config), host="127.0.0.1", port=0)
    await server.start_server()
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield Sandbox(server, session)
    await server.close()


@dataclass
class Receiver:
    url: str
    calls: list[dict[str, Any]]
    statuses: list[int]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Records each callback; answers with `statuses` in turn, then 200."""
    calls: list[dict[str, Any]] = []
    statuses: list[int] = []

    async def handle(request: web.Request) -> web.Response:
        calls.append({"body": await request.json(), "query": dict(request.query)})
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield Receiver(str(server.make_url("/hook")), calls, statuses)
    await server.close()


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]], within: float = 5.0
) -> None:
    """Polls until the condition holds; fails the test after `timeout`."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


@pytest.fixture
def wait() -> Callable[..., Awaitable[None]]:
    return wait_for
