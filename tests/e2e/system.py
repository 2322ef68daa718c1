"""The whole system for end-to-end tests: both sandboxes (in this process,
as the outside world), every service as its own OS process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from common.connections import Connections
from common.crypto import TokenCipher
from common.operator.sandbox_connection import sandbox_connection
from common.ports import free_ports
from common.settings import SERVICE_PORTS, Settings
from common.store import Store
from services.qbo_sandbox import SandboxConfig as QboConfig
from services.qbo_sandbox import create_app as qbo_app
from services.qbo_sandbox.config import WebhookTiming
from services.zoho_sandbox import SandboxConfig as ZohoConfig
from services.zoho_sandbox import create_app as zoho_app

REPO = Path(__file__).resolve().parents[2]
TENANT = "demo"
VERIFIER = "e2e-verifier-token"


@dataclass
class Api:
    """One sandbox: admin calls and API calls made as a person would."""

    server: TestServer
    http: aiohttp.ClientSession
    creds: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(
            method, f"{self.base}/_sandbox/{path}", json=body
        ) as response:
            assert response.status < 300, await response.text()
            return await response.json()


class Zoho(Api):
    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Zoho-oauthtoken {self.creds['access_token']}"}
        async with self.http.request(
            method,
            f"{self.creds['api_domain']}/crm/v8{path}",
            headers=headers,
            **kwargs,
        ) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None)

    async def get(self, module: str, record_id: str) -> dict[str, Any]:
        status, body = await self.call("GET", f"/{module}/{record_id}")
        assert status == 200, body
        record: dict[str, Any] = body["data"][0]
        return record

    async def search(self, module: str, criteria: str) -> list[dict[str, Any]]:
        status, body = await self.call(
            "GET", f"/{module}/search", params={"criteria": criteria}
        )
        return [] if status == 204 or body is None else list(body["data"])

    async def insert(self, module: str, record: dict[str, Any]) -> str:
        status, body = await self.call("POST", f"/{module}", json={"data": [record]})
        assert status == 201, body
        return str(body["data"][0]["details"]["id"])


class Qbo(Api):
    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {
            "Authorization": f"Bearer {self.creds['access_token']}",
            "Accept": "application/json",
        }
        url = f"{self.base}/v3/company/{self.creds['realm_id']}/{path}"
        async with self.http.request(
            method, url, headers=headers, params={"minorversion": "75"}, **kwargs
        ) as response:
            return response.status, await response.json(content_type=None)

    async def records(self, entity: str) -> list[dict[str, Any]]:
        result = await self.admin("GET", f"records?entity={entity}")
        return list(result["records"])


E2E_ADMIN_TOKEN = "e2e-admin-token-0123456789"


@dataclass
class System:
    zoho: Zoho
    qbo: Qbo
    settings: Settings
    ports: dict[str, int]
    processes: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        assert self.settings.secret_key is not None
        return {
            **process_env(self.settings, self.ports),
            "SECRET_KEY": self.settings.secret_key.get_secret_value(),
            "POLL_INTERVAL_SECONDS": "2",
            "WRITE_LINGER_SECONDS": "0.1",
            "ADMIN_TOKEN": E2E_ADMIN_TOKEN,
        }

    async def start(self) -> None:
        env = self.env()
        logs = Path(self.settings.data_dir)
        for name in SERVICE_PORTS:
            log_file = (logs / f"{name}.log").open("w")
            self.processes[name] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                f"services.{name}",
                env=env,
                cwd=REPO,
                stdout=log_file,
                stderr=log_file,
            )
        async with aiohttp.ClientSession() as http:
            for name, port in self.ports.items():
                await _wait_ready(http, f"http://127.0.0.1:{port}/readyz", name)

    async def stop(self) -> None:
        for process in self.processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            await asyncio.wait_for(process.wait(), 30)

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['admin']}"

    def log(self, name: str) -> str:
        return (Path(self.settings.data_dir) / f"{name}.log").read_text()


def process_env(settings: Settings, ports: dict[str, int]) -> dict[str, str]:
    """What a service process of a test needs: the test's broker vhost,
    database, prefix and data folder, JSON logs, quick retries, its ports."""
    assert settings.mongodb_url is not None
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AMQP_URL": settings.amqp_url.get_secret_value(),
        "MONGODB_URL": settings.mongodb_url.get_secret_value(),
        "MONGODB_DATABASE": settings.mongodb_database,
        "BUS_PREFIX": settings.bus_prefix,
        "DATA_DIR": str(settings.data_dir),
        "LOG_FORMAT": "json",
        "BUS_RETRY_DELAYS": "[0.5, 1, 2]",
        "CRM_GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{ports['crm_gateway']}",
        **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }


async def _wait_ready(http: aiohttp.ClientSession, url: str, name: str) -> None:
    for _ in range(300):
        try:
            async with http.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} did not become ready at {url}")


def sandboxes() -> tuple[TestServer, TestServer]:
    zoho = TestServer(
        zoho_app(
            ZohoConfig(
                port=0, notify_batch_seconds=0.05, notify_retry_delays=(0.2, 0.5, 1.0)
            )
        ),
        host="127.0.0.1",
        port=0,
    )
    qbo = TestServer(
        qbo_app(
            QboConfig(
                port=0,
                webhooks=WebhookTiming(
                    batch_window_seconds=0.1, retry_schedule_seconds=(0.2, 0.5, 1.0)
                ),
            )
        ),
        host="127.0.0.1",
        port=0,
    )
    return zoho, qbo


async def connect_tenant(system: System, store: Store) -> None:
    cipher = TokenCipher(
        system.settings.secret_key, system.settings.secret_key_previous
    )
    await Connections(store, cipher).save(
        sandbox_connection(TENANT, system.zoho.creds, system.qbo.creds, VERIFIER)
    )


def service_ports() -> dict[str, int]:
    return dict(zip(SERVICE_PORTS, free_ports(len(SERVICE_PORTS)), strict=True))
