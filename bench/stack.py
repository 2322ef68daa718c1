"""The whole system, set up for the pipeline benchmark and torn down after.

Its own RabbitMQ vhost, its own embedded MongoDB, both API sandboxes as OS
processes (real limits, realistic latency) and every service as its own
OS process, all in temp dirs. ``running_stack()`` stops every process and
removes the vhost and the dirs on the way out, Ctrl-C included; the
service logs are kept (and their path printed) only when they show
trouble.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bench.observe import (
    counter_total,
    dead_letters,
    metrics_text,
    troubled_logs,
    warnings_by_log,
)
from bench.processes import (
    REPO,
    Launched,
    ResourceSampler,
    launch,
    stop_all,
    wait_answering,
)
from bench.sandboxes import QBO_LATENCY, ZOHO_LATENCY, QboAdmin, ZohoAdmin
from common.bus import Bus
from common.bus.requests import NoAnswer, Request, ask
from common.connections import Connections
from common.crypto import TokenCipher
from common.operator.sandbox_connection import sandbox_connection
from common.ports import free_ports
from common.settings import SERVICE_PORTS, Settings
from common.store import EmbeddedMongo, Store, open_store

VERIFIER = "bench-pipeline-verifier"
SANDBOXES = {
    "zoho_sandbox": "services.zoho_sandbox",
    "qbo_sandbox": "services.qbo_sandbox",
}
GATEWAYS = {"crm_gateway": "crm", "qbo_gateway": "qbo"}


@dataclass
class Tenant:
    """A tenant of the benchmark: its Zoho org and its QBO company."""

    name: str
    org: str
    zoho: dict[str, Any]  # the org's reset answer (credentials)
    qbo: dict[str, Any]  # the company's answer (credentials, realm)

    @property
    def realm(self) -> str:
        return str(self.qbo["realm_id"])


@dataclass
class Stack:
    data: Path
    logs: Path
    vhost: str
    mongo: EmbeddedMongo
    settings: Settings
    ports: dict[str, int]
    http: aiohttp.ClientSession
    store: Store
    bus: Bus
    children: dict[str, Launched] = field(default_factory=dict)
    keep_logs: bool = False

    @property
    def qbo(self) -> QboAdmin:
        return QboAdmin(self.http, self.url("qbo_sandbox"))

    @property
    def zoho(self) -> ZohoAdmin:
        return ZohoAdmin(self.http, self.url("zoho_sandbox"))

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    # -- processes ---------------------------------------------------------------
    async def start_sandboxes(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        for name, module in SANDBOXES.items():
            args = ["--port", str(self.ports[name])]
            self.children[name] = await launch(name, module, args, env, self.logs)
        for name in SANDBOXES:
            await wait_answering(f"{self.url(name)}/_sandbox/stats", name)

    async def realistic_sandboxes(self) -> None:
        """Real limits (the QBO reset restored them) and latency on; after
        the last reset, since a Zoho reset clears its faults."""
        await self.qbo.faults({"seed": 7, **QBO_LATENCY})
        await self.zoho.faults({"seed": 7, **ZOHO_LATENCY})

    async def start_services(self) -> None:
        await self.qbo.webhooks(f"{self.url('qbo_gateway')}/webhooks/qbo", VERIFIER)
        env = self.service_env()
        for name in SERVICE_PORTS:
            module = f"services.{name}"
            self.children[name] = await launch(name, module, [], env, self.logs)
        for name in SERVICE_PORTS:
            await wait_answering(f"{self.url(name)}/readyz", name)

    def service_env(self) -> dict[str, str]:
        """Production defaults (retry delays, poll interval, linger), this
        run's broker, database, key and ports, JSON logs."""
        settings = self.settings
        assert settings.mongodb_url is not None
        assert settings.secret_key is not None
        return {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "AMQP_URL": settings.amqp_url.get_secret_value(),
            "MONGODB_URL": settings.mongodb_url.get_secret_value(),
            "MONGODB_DATABASE": settings.mongodb_database,
            "BUS_PREFIX": "",
            "DATA_DIR": str(self.data),
            "SECRET_KEY": settings.secret_key.get_secret_value(),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "CRM_GATEWAY_PUBLIC_URL": self.url("crm_gateway"),
            **{f"{name.upper()}_PORT": str(self.ports[name]) for name in SERVICE_PORTS},
        }

    def sampler(self) -> ResourceSampler:
        """Memory and CPU of the services, the sandboxes, the database and
        this benchmark process itself (to show it stays light)."""
        pids = {name: child.pid for name, child in self.children.items()}
        if self.mongo.pid is not None:
            pids["mongodb"] = self.mongo.pid
        pids["benchmark"] = os.getpid()
        return ResourceSampler(pids)

    # -- tenants -----------------------------------------------------------------
    async def connect(self, tenant: Tenant, *, announce: bool) -> None:
        """Saves the tenant's connection; ``announce`` tells running gateways
        (the crm-gateway subscribes Zoho's notifications at once)."""
        cipher = TokenCipher(self.settings.secret_key)
        connection = sandbox_connection(tenant.name, tenant.zoho, tenant.qbo, VERIFIER)
        await Connections(self.store, cipher).save(connection)
        if not announce:
            return
        for service, system in GATEWAYS.items():
            with contextlib.suppress(NoAnswer):
                await ask(
                    self.settings,
                    service,
                    system,
                    Request(action="connected", tenant=tenant.name),
                )

    async def wait_subscribed(self, tenant: str, seconds: float = 60.0) -> bool:
        """Until the crm-gateway holds a Zoho notification channel for it."""
        connections = Connections(self.store, TokenCipher(self.settings.secret_key))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            side = (await connections.require(tenant)).crm
            if side is not None and side.channel_id:
                return True
            await asyncio.sleep(0.25)
        return False

    # -- observation ---------------------------------------------------------------
    async def matcher_counters(self) -> dict[str, float | None]:
        text = await metrics_text(self.http, self.ports["matcher"])
        return {
            "store_commands": counter_total(text, "sync_store_commands_total"),
            "messages": counter_total(text, "sync_messages_total"),
        }

    async def wind_down(self) -> dict[str, Any]:
        """Stops the services (their logs complete), then what they left:
        dead letters in the store, logs that show trouble."""
        await stop_all([self.children[name] for name in SERVICE_PORTS])
        logs = troubled_logs(self.logs)
        self.keep_logs = bool(logs) or os.environ.get("BENCH_KEEP_LOGS") == "1"
        return {
            "dead_letters": await dead_letters(self.store),
            "warnings_by_log": warnings_by_log(self.logs),
            "troubled_logs": logs,
            "logs_kept_in": str(self.logs) if self.keep_logs else None,
        }

    async def close(self) -> None:
        """Every step bounded and attempted, whatever failed before."""
        with contextlib.suppress(Exception):
            await stop_all(list(self.children.values()))
        with contextlib.suppress(Exception):
            await self.bus.close()
        with contextlib.suppress(Exception):
            await self.store.close()
        await self.http.close()
        await self.mongo.stop()
        await asyncio.to_thread(_delete_vhost, self.vhost)
        shutil.rmtree(self.data, ignore_errors=True)
        if not self.keep_logs:
            shutil.rmtree(self.logs, ignore_errors=True)


@contextlib.asynccontextmanager
async def running_stack() -> AsyncIterator[Stack]:
    """Broker vhost, database and sandboxes up; the services start later
    (``start_services``), once the tenants are seeded and connected."""
    data = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    logs = Path(tempfile.mkdtemp(prefix="bench-pipeline-logs-"))
    vhost = await asyncio.to_thread(_add_vhost)
    mongo = EmbeddedMongo(data / "mongo")
    stack: Stack | None = None
    try:
        url = await mongo.start()
        settings = Settings(
            amqp_url=SecretStr(f"amqp://guest:guest@127.0.0.1:5672/{vhost}"),
            mongodb_url=SecretStr(url),
            mongodb_database="bench_pipeline",
            data_dir=data,
            secret_key=SecretStr(Fernet.generate_key().decode()),
            log_format="console",
            log_level="WARNING",
        )
        names = [*SERVICE_PORTS, *SANDBOXES]
        ports = dict(zip(names, free_ports(len(names)), strict=True))
        bus = Bus(settings)
        await bus.connect()
        stack = Stack(
            data=data,
            logs=logs,
            vhost=vhost,
            mongo=mongo,
            settings=settings,
            ports=ports,
            http=aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)),
            store=await open_store(settings),
            bus=bus,
        )
        await stack.start_sandboxes()
        yield stack
    finally:
        if stack is not None:
            await stack.close()
        else:
            await mongo.stop()
            await asyncio.to_thread(_delete_vhost, vhost)
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(logs, ignore_errors=True)


def _add_vhost() -> str:
    name = f"bench-pipeline-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
        check=True,
    )
    return name


def _delete_vhost(name: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], check=False)
