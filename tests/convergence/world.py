"""The whole system for one run: both sandboxes in this process, every
service its own OS process (tests/e2e/system.py), a fresh database and bus
prefix per run so a shrinking re-run never sees an earlier run's state."""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from common.settings import Settings
from common.store import Store, open_store
from tests.e2e.system import (
    REPO,
    VERIFIER,
    Qbo,
    System,
    Zoho,
    _wait_ready,
    connect_tenant,
    sandboxes,
    service_ports,
)


def fresh_settings(base: Settings, data_dir: Path) -> Settings:
    """The fixture's settings with a database, prefix and data dir of its own."""
    tag = uuid.uuid4().hex[:8]
    data_dir.mkdir(parents=True, exist_ok=True)
    return base.model_copy(
        update={
            "mongodb_database": f"cv_{tag}",
            "bus_prefix": f"cv{tag}.",
            "data_dir": data_dir,
        }
    )


@asynccontextmanager
async def running_system(settings: Settings) -> AsyncIterator[tuple[System, Store]]:
    """Sandboxes reset, tenant connected, QBO webhooks on, services started."""
    store = await open_store(settings)
    zoho_server, qbo_server = sandboxes()
    await zoho_server.start_server()
    await qbo_server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            zoho, qbo = Zoho(zoho_server, http), Qbo(qbo_server, http)
            zoho.creds = await zoho.admin("POST", "reset", {"seed": 1})
            qbo.creds = await qbo.admin("POST", "reset", {"seed": 1})
            ports = service_ports()
            system = System(zoho, qbo, settings, ports)
            await connect_tenant(system, store)
            await qbo.admin(
                "POST",
                "webhooks",
                {
                    "url": f"http://127.0.0.1:{ports['qbo_gateway']}/webhooks/qbo",
                    "verifier_token": VERIFIER,
                    "batch_window_seconds": 0.1,
                },
            )
            await system.start()
            try:
                yield system, store
            finally:
                await system.stop()
    finally:
        await zoho_server.close()
        await qbo_server.close()
        await store.client.drop_database(settings.mongodb_database)
        await store.close()


async def kill_and_restart(system: System, name: str) -> None:
    """SIGKILL one service mid-run (no graceful stop) and start it again."""
    process = system.processes[name]
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    log_file = (Path(system.settings.data_dir) / f"{name}.log").open("a")
    system.processes[name] = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"services.{name}",
        env=system.env(),
        cwd=REPO,
        stdout=log_file,
        stderr=log_file,
    )
    async with aiohttp.ClientSession() as http:
        port = system.ports[name]
        await _wait_ready(http, f"http://127.0.0.1:{port}/readyz", name)
    await asyncio.sleep(0.2)
    if system.processes[name].returncode is not None:
        # Something else answered on its port (it could not bind it): the
        # run's own infrastructure failed, not the sync.
        raise AssertionError(
            f"{name} exited on restart (code {system.processes[name].returncode});"
            f" see {name}.log: port {port} taken by another process?"
        )


async def syncctl(system: System, *argv: str) -> tuple[int, str]:
    """`syncctl …` as an operator runs it, against this run's bus and store."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.admin.syncctl",
        *argv,
        env=system.env(),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()
