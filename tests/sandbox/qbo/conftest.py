"""The QBO sandbox started in-process on a free loopback port, over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession
from aiohttp.test_utils import TestServer

from services.qbo_sandbox import SandboxConfig, create_app
from services.qbo_sandbox.config import WebhookTiming

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "qbo"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def fixture(fixtures_dir: Path) -> Callable[[str], Any]:
    def load(name: str) -> Any:
        return json.loads((fixtures_dir / name).read_text())

    return load


def basic_auth(creds: dict[str, Any]) -> str:
    pair = f"{creds['client_id']}:{creds['client_secret']}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


class Qbo:
    """A thin client: the sandbox's base URL, one realm and its bearer token."""

    def __init__(self, session: ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.creds: dict[str, Any] = {}

    @property
    def realm(self) -> str:
        return str(self.creds["realm_id"])

    def headers(self, token: str | None = None) -> dict[str, str]:
        bearer = token if token is not None else self.creds["access_token"]
        return {"Authorization": f"Bearer {bearer}", "Accept": "application/json"}

    async def reset(self, **body: Any) -> dict[str, Any]:
        response = await self.session.post(
            f"{self.base}/_sandbox/reset", json={"seed": 1, **body}
        )
        assert response.status == 200, await response.text()
        self.creds = await response.json()
        return self.creds

    async def refresh(self) -> None:
        """Trade the refresh token for a new pair, as a client must each hour."""
        response = await self.session.post(
            f"{self.base}/oauth2/v1/tokens/bearer",
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.creds["refresh_token"],
            },
            headers={"Authorization": basic_auth(self.creds)},
        )
        assert response.status == 200, await response.text()
        self.creds.update(await response.json())

    async def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.session.post(
            f"{self.base}/_sandbox/{path}", json=body or {}
        )
        assert response.status == 200, await response.text()
        return await response.json()

    async def admin_get(self, path: str) -> Any:
        response = await self.session.get(f"{self.base}/_sandbox/{path}")
        assert response.status == 200, await response.text()
        return await response.json()

    def url(self, tail: str) -> str:
        return f"{self.base}/v3/company/{self.realm}/{tail}"

    async def get(self, tail: str, **params: str) -> ClientResponse:
        return await self.session.get(
            self.url(tail), params=params, headers=self.headers()
        )

    async def post(self, tail: str, body: Any, **params: str) -> ClientResponse:
        return await self.session.post(
            self.url(tail), json=body, params=params, headers=self.headers()
        )

    async def ok(self, response: ClientResponse) -> dict[str, Any]:
        body = await response.json()
        assert response.status == 200, body
        return dict(body)

    async def fault(
        self, response: ClientResponse, status: int = 400
    ) -> dict[str, Any]:
        body = await response.json()
        assert response.status == status, body
        assert "time" in body
        error: dict[str, Any] = body["Fault"]["Error"][0]
        return error

    async def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        result = await self.ok(await self.post(entity.lower(), body))
        return dict(result[entity])

    async def query(self, text: str) -> dict[str, Any]:
        result = await self.ok(await self.get("query", query=text))
        return dict(result["QueryResponse"])


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        webhooks=WebhookTiming(
            batch_window_seconds=0.05,
            retry_schedule_seconds=(0.05, 0.1, 0.2),
            max_attempts=6,
            request_timeout_seconds=1.0,
        )
    )


@pytest.fixture
async def server(sandbox_config: SandboxConfig) -> AsyncIterator[TestServer]:
    test_server = TestServer(create_app(sandbox_config), host="127.0.0.1", port=0)
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest.fixture
async def qbo(server: TestServer) -> AsyncIterator[Qbo]:
    async with ClientSession() as session:
        client = Qbo(session, str(server.make_url("")).rstrip("/"))
        await client.reset()
        yield client


async def wait_for(
    condition: Callable[[], Awaitable[bool]], within: float = 5.0, every: float = 0.02
) -> None:
    """Poll a condition with a bounded wait instead of sleeping blindly."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)


@pytest.fixture
def poll() -> Callable[..., Awaitable[None]]:
    return wait_for
