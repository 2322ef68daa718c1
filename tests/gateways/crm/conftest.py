"""The crm-gateway against the Zoho sandbox (real HTTP), real RabbitMQ and the
embedded MongoDB: a sandbox per test, a gateway started as the runtime
starts it, and a tap queue that records what the gateway publishes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aio_pika.abc import AbstractIncomingMessage
from aiohttp.test_utils import TestServer

from common.bus import Bus, QueueSpec
from common.connections import Connection, Connections, SystemCredentials
from common.crypto import TokenCipher
from common.gateway.calls import RetryPolicy
from common.gateway.limits import LimitSpec
from common.messages import Envelope
from common.operator.sandbox_connection import zoho_sandbox_side
from common.runtime import ServiceContext, ServiceRunner
from common.settings import Settings
from common.store import Store
from services.crm_gateway.service import Gateway, make_gateway, register
from services.zoho_sandbox import SandboxConfig, create_app

TENANT = "acme"
FAST_RETRIES = RetryPolicy(
    attempts=6, base_delay=0.05, max_delay=0.3, throttle_default=0.5
)
TEST_TIMEOUT = aiohttp.ClientTimeout(total=3, connect=2)


@dataclass
class Sandbox:
    server: TestServer
    session: aiohttp.ClientSession
    creds: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, self.base + path, json=body) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()

    async def reset(self, **body: Any) -> dict[str, Any]:
        self.creds = await self.admin("POST", "/_sandbox/reset", body)
        return self.creds

    async def api(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        """A direct API call as a Zoho user would make it (to set up data)."""
        headers = {
            "Authorization": f"Zoho-oauthtoken {token or self.creds['access_token']}"
        }
        async with self.session.request(
            method,
            f"{self.creds['api_domain']}/crm/v8{path}",
            headers=headers,
            **kwargs,
        ) as reply:
            text = await reply.text()
            return reply.status, (json.loads(text) if text else None)

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.admin("GET", "/_sandbox/stats")
        return result

    async def calls(self, method: str, path: str, status: int | None = None) -> int:
        report = await self.stats()
        return sum(
            row["count"]
            for row in report["requests"]
            if row["method"] == method
            and row["path"] == path
            and (status is None or row["status"] == status)
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
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=20)
    ) as session:
        sandbox = Sandbox(server, session)
        await sandbox.reset(seed=1)
        yield sandbox
    await server.close()


def crm_side(creds: dict[str, Any]) -> SystemCredentials:
    return zoho_sandbox_side(creds)


@pytest.fixture
def connections(settings: Settings, store: Store) -> Connections:
    return Connections(store, TokenCipher(settings.secret_key))


@pytest.fixture
async def connected(zoho: Sandbox, connections: Connections) -> Connections:
    await connections.save(Connection(tenant=TENANT, crm=crm_side(zoho.creds)))
    return connections


@dataclass
class Tap:
    """Records what the gateway publishes (``change.crm.#``, ``written.crm.#``)."""

    messages: list[Envelope] = field(default_factory=list)

    def of(self, kind: str) -> list[Envelope]:
        return [m for m in self.messages if m.kind == kind]

    def ids(self, kind: str = "change") -> list[str]:
        return [m.external_id or "" for m in self.of(kind)]


@contextlib.asynccontextmanager
async def open_tap(bus: Bus) -> AsyncIterator[Tap]:
    recorded = Tap()
    spec = QueueSpec(
        "test.tap",
        ("change.crm.#", "written.crm.#", "bulk.change.crm.#", "bulk.written.crm.#"),
    )
    queue = await bus.declare_queue(spec)
    channel = await bus.consumer_channel(500)
    mine = await channel.get_queue(queue.name)

    async def on_message(message: AbstractIncomingMessage) -> None:
        recorded.messages.append(Envelope.from_bytes(message.body))
        await message.ack()

    await mine.consume(on_message)
    try:
        yield recorded
    finally:
        await channel.close()


@pytest.fixture
async def tap(bus: Bus) -> AsyncIterator[Tap]:
    async with open_tap(bus) as recorded:
        yield recorded


@dataclass
class Running:
    runner: ServiceRunner
    gateway: Gateway

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.runner.port}"


StartGateway = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start_gateway(settings: Settings) -> AsyncIterator[StartGateway]:
    """Starts a crm-gateway (as ``run_service`` would) with test knobs."""
    started: list[ServiceRunner] = []

    async def start(
        *,
        limits: LimitSpec | None = None,
        owner: str | None = None,
        notify_url: str | None = None,
        background: bool = False,
    ) -> Running:
        holder: dict[str, Gateway] = {}

        async def build(context: ServiceContext) -> None:
            gateway = make_gateway(
                context.settings,
                context.store,
                context.bus,
                limits=limits
                or LimitSpec(per_minute=100_000, concurrent=20, heavy_concurrent=10),
                policy=FAST_RETRIES,
                timeout=TEST_TIMEOUT,
                notify_url=notify_url,
                owner=owner,
                linger=0.5,
            )
            register(context, gateway)
            if not background:
                context.background.clear()
            holder["gateway"] = gateway

        runner = ServiceRunner("crm_gateway", settings, build)
        await runner.start(port=0)
        started.append(runner)
        return Running(runner, holder["gateway"])

    yield start
    for runner in reversed(started):
        await runner.stop()


def envelope(kind: str, entity: str, **fields: Any) -> Envelope:
    return Envelope(kind=kind, tenant=TENANT, system="crm", entity=entity, **fields)
