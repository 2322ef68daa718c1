"""The qbo-gateway in-process against the QBO sandbox over real HTTP, the real
RabbitMQ and the embedded MongoDB server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.connections import Connection, Connections, SystemCredentials
from common.crypto import TokenCipher
from common.inbox import Inbox
from common.messages import Envelope
from common.runtime import ServiceContext, ServiceRunner
from common.settings import Settings
from common.store import Store
from services.qbo_gateway.service import QboGateway, build, make_gateway, register
from services.qbo_sandbox import SandboxConfig, create_app
from services.qbo_sandbox.config import WebhookTiming

TENANT = "acme"
VERIFIER = "verifier-token-of-acme"


class Sandbox:
    def __init__(self, server: TestServer, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = http
        self.base = str(server.make_url("")).rstrip("/")
        self.creds: dict[str, Any] = {}

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(
            method, f"{self.base}/_sandbox/{path}", json=body
        ) as response:
            assert response.status < 300, await response.text()
            return await response.json()

    async def reset(self, **sizes: int) -> dict[str, Any]:
        self.creds = await self.admin("POST", "reset", {"seed": 7, **sizes})
        return self.creds

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.admin("GET", "stats")
        return result

    async def records(self, entity: str) -> list[dict[str, Any]]:
        result = await self.admin("GET", f"records?entity={entity}")
        rows: list[dict[str, Any]] = (
            result["records"] if isinstance(result, dict) else result
        )
        return rows

    async def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Act as another app (a person in the QBO UI) with the seed token."""
        url = f"{self.base}/v3/company/{self.creds['realm_id']}/{path}"
        headers = {
            "Authorization": f"Bearer {self.creds['access_token']}",
            "Accept": "application/json",
        }
        async with self.http.request(
            method, url, headers=headers, params={"minorversion": "75"}, **kwargs
        ) as response:
            return response.status, await response.json(content_type=None)


@pytest.fixture
async def qbo_sandbox() -> AsyncIterator[Sandbox]:
    config = SandboxConfig(
        port=0,
        webhooks=WebhookTiming(
            batch_window_seconds=0.05, retry_schedule_seconds=(0.05, 0.1, 0.2)
        ),
    )
    server = TestServer(create_app(config), host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield Sandbox(server, http)
    await server.close()


@pytest.fixture
def gateway_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"qbo_throttle_pause": 0.5, "write_linger_seconds": 0.3}
    )


async def connect(
    store: Store, settings: Settings, creds: dict[str, Any]
) -> Connections:
    connections = Connections(
        store, TokenCipher(settings.secret_key, settings.secret_key_previous)
    )
    await connections.save(
        Connection(
            tenant=TENANT,
            qbo=SystemCredentials(
                client_id=creds["client_id"],
                client_secret=SecretStr(creds["client_secret"]),
                refresh_token=SecretStr(creds["refresh_token"]),
                access_token=SecretStr(creds["access_token"]),
                access_expires_at=datetime.now(UTC)
                + timedelta(seconds=int(creds["expires_in"])),
                api_base=creds["base_url"],
                token_url=creds["token_url"],
                realm_id=creds["realm_id"],
                verifier_token=SecretStr(VERIFIER),
            ),
        )
    )
    return connections


@dataclass
class Probe:
    """Collects what the gateway publishes, from a queue of the test's own."""

    received: list[Envelope] = field(default_factory=list)

    def of(self, kind: str, entity: str | None = None) -> list[Envelope]:
        return [
            e
            for e in self.received
            if e.kind == kind and (entity is None or e.entity == entity)
        ]


@dataclass
class Running:
    runner: ServiceRunner
    gateway: QboGateway
    probe: Probe
    bus: Bus
    connections: Connections

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.runner.port}"


@pytest.fixture
async def running(
    qbo_sandbox: Sandbox, gateway_settings: Settings, store: Store
) -> AsyncIterator[Running]:
    if not qbo_sandbox.creds:
        await qbo_sandbox.reset()
    connections = await connect(store, gateway_settings, qbo_sandbox.creds)
    runner = ServiceRunner("qbo_gateway", gateway_settings, build)
    await runner.start(port=0)
    assert runner.context is not None
    assert isinstance(runner.built, QboGateway)
    bus = runner.context.bus
    probe = Probe()

    async def collect(envelope: Envelope) -> Sequence[Envelope]:
        probe.received.append(envelope)
        return []

    consumer = Consumer(
        bus,
        QueueSpec(
            "probe",
            (
                "change.qbo.#",
                "written.qbo.#",
                "bulk.change.qbo.#",
                "bulk.written.qbo.#",
            ),
        ),
        collect,
        inbox=Inbox(runner.context.store),
        dead_letters=DeadLetters(runner.context.store, bus),
    )
    await consumer.start()
    yield Running(runner, runner.built, probe, bus, connections)
    await consumer.stop()
    await runner.stop()


StartGateway = Callable[..., Awaitable[QboGateway]]


@pytest.fixture
async def start_gateway(gateway_settings: Settings) -> AsyncIterator[StartGateway]:
    """Starts a qbo-gateway as ``run_service`` would, built by ``make_gateway``
    with what the test passes (limits, retry policy, lease owner) in place of
    the settings' own."""
    started: list[ServiceRunner] = []

    async def start(**collaborators: Any) -> QboGateway:
        async def build_with(context: ServiceContext) -> QboGateway:
            gateway = make_gateway(
                context.settings, context.store, context.bus, **collaborators
            )
            register(context, gateway)
            return gateway

        runner = ServiceRunner("qbo_gateway", gateway_settings, build_with)
        await runner.start(port=0)
        started.append(runner)
        assert isinstance(runner.built, QboGateway)
        return runner.built

    yield start
    for runner in reversed(started):
        await runner.stop()
