"""`make run`: the whole system on one machine.

Starts the embedded MongoDB-wire server once (unless MONGODB_URL is set),
the two API sandboxes, then every service as its own OS process pointed at
them; prints where each one answers; relays Ctrl-C / SIGTERM as a graceful
stop to all of them.

The demo (``--no-demo`` skips it) persists across runs: the sandboxes keep
their data in snapshots under ``DATA_DIR/sandboxes`` (written every few
seconds and at stop), and the local state (links, dead letters, cursors)
stays in the database, so both agree when `make run` starts again. When
there is no complete demo to resume (the first run, or after `make clean`),
the demo starts afresh on both sides at once: the local state is emptied,
the queues purged, both sandboxes seeded, tenant "demo" connected and both
sides backfilled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr

from common.bus import QUEUES, Bus
from common.bus.requests import NoAnswer, Request, ask
from common.connections import Connections
from common.crypto import TokenCipher
from common.operator import demo
from common.operator.admin_token import admin_token, token_path
from common.operator.backfills import start_backfill
from common.operator.sandbox_connection import sandbox_connection
from common.settings import SERVICE_PORTS, Settings
from common.store import EmbeddedMongo, Store, open_store
from common.store.client import write_shared_marker

SNAPSHOT_EVERY_SECONDS = 5.0

DEMO_TENANT = "demo"
DEMO_VERIFIER = "demo-verifier-token"
DEMO_ZOHO = {
    "seed": 1,
    "contacts": 25,
    "accounts": 10,
    "products": 15,
    "invoices": 20,
    "quotes": 5,
    "vendors": 5,
}
DEMO_QBO = {
    "seed": 2,
    "customers": 25,
    "items": 15,
    "invoices": 20,
    "estimates": 5,
    "vendors": 5,
}


def sandbox_ports(settings: Settings) -> dict[str, int]:
    return {
        "zoho_sandbox": settings.zoho_sandbox_port,
        "qbo_sandbox": settings.qbo_sandbox_port,
    }


async def _wait_ready(url: str, seconds: float = 30.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while loop.time() < deadline:
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    return False


async def _start(
    module: str, args: list[str], env: dict[str, str]
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, env=env
    )


def _local(settings: Settings, env: dict[str, str]) -> Settings:
    """This process's settings, with the URL and key handed to the services."""
    return settings.model_copy(
        update={
            "mongodb_url": SecretStr(env["MONGODB_URL"]),
            "secret_key": SecretStr(env["SECRET_KEY"]),
        }
    )


# -- fresh or resumed -----------------------------------------------------------
async def _tenants(store: Store) -> set[str]:
    return {str(doc["_id"]) async for doc in store.db["connections"].find({})}


async def prepare_demo(local: Settings) -> str:
    """ "resume", "fresh" or "skip"; a fresh demo empties local state first."""
    files = demo.DemoFiles(Path(local.data_dir))
    store = await open_store(local)
    try:
        tenants = await _tenants(store)
        if files.complete() and tenants == {DEMO_TENANT}:
            return "resume"
        if tenants - {DEMO_TENANT}:
            # Never empty a database that serves anything but the demo.
            print(
                f"demo skipped: the database also holds tenants {sorted(tenants)}",
                flush=True,
            )
            return "skip"
        files.forget()
        for name in await store.db.list_collection_names():
            await store.db[name].delete_many({})
    finally:
        await store.close()
    await purge_queues(local)
    return "fresh"


async def purge_queues(settings: Settings) -> None:
    """Work left in the broker by an earlier demo refers to records gone now."""
    bus = Bus(settings)
    await bus.connect()
    try:
        names = [bus.names.dead_letters]
        for service, specs in QUEUES.items():
            await bus.declare_service_queues(service)
            for spec in specs:
                names.append(bus.names.queue(spec.name))
                names += [
                    bus.names.retry_queue(spec.name, delay)
                    for delay in settings.bus_retry_delays
                ]
        channel = await bus.consumer_channel(1)
        for name in names:
            queue = await channel.declare_queue(name, passive=True)
            await queue.purge()
        await channel.close()
    finally:
        await bus.close()


async def seed_demo(local: Settings) -> None:
    """Fill both sandboxes, connect tenant "demo" to them, pull history in."""
    ports = sandbox_ports(local)
    zoho_url = f"http://127.0.0.1:{ports['zoho_sandbox']}"
    qbo_url = f"http://127.0.0.1:{ports['qbo_sandbox']}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        zoho = await _post(http, f"{zoho_url}/_sandbox/reset", DEMO_ZOHO)
        qbo = await _post(http, f"{qbo_url}/_sandbox/reset", DEMO_QBO)
        newcomer = await demo.newcomer_grants(http, zoho, qbo)
    # The reset forgot QBO's webhook target: set it again before any change.
    await point_webhooks(local)
    store = await open_store(local)
    bus = Bus(local)
    await bus.connect()
    try:
        cipher = TokenCipher(local.secret_key, local.secret_key_previous)
        await Connections(store, cipher).save(
            sandbox_connection(DEMO_TENANT, zoho, qbo, DEMO_VERIFIER)
        )
        for system in ("crm", "qbo"):
            await start_backfill(
                bus,
                DEMO_TENANT,
                system,
                date(2000, 1, 1),
                store=store,
                started_by="make run",
            )
    finally:
        await bus.close()
        await store.close()
    demo.save_state(local, DEMO_TENANT, zoho, qbo, newcomer)


async def connect_gateways(local: Settings) -> None:
    """Tell both gateways the demo is connected: Zoho's notification channel
    is subscribed now, not at the next renewal check."""
    for service, system in (("crm_gateway", "crm"), ("qbo_gateway", "qbo")):
        try:
            answer = await ask(
                local, service, system, Request(action="connected", tenant=DEMO_TENANT)
            )
        except NoAnswer as exc:
            print(f"demo: {exc}", flush=True)
            continue
        if not answer.ok:
            print(f"demo: the {service} says: {answer.reason}", flush=True)


async def point_webhooks(local: Settings) -> None:
    """QBO's webhook target is sandbox configuration, not data: set each run."""
    qbo_url = f"http://127.0.0.1:{local.qbo_sandbox_port}"
    gateway = f"http://127.0.0.1:{local.qbo_gateway_port}/webhooks/qbo"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        await _post(
            http,
            f"{qbo_url}/_sandbox/webhooks",
            {"url": gateway, "verifier_token": DEMO_VERIFIER},
        )


async def keep_snapshots(local: Settings) -> None:
    """Save both sandboxes every few seconds, so a crash loses little."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while True:
            await asyncio.sleep(SNAPSHOT_EVERY_SECONDS)
            for port in sandbox_ports(local).values():
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    await _post(http, f"http://127.0.0.1:{port}/_sandbox/snapshot", {})


async def run_demo(local: Settings, mode: str) -> None:
    if mode == "fresh":
        await seed_demo(local)  # points QBO's webhooks itself, after its reset
        print(
            f"demo: tenant {DEMO_TENANT!r} connected to both sandboxes (seeded "
            "afresh), backfills started; follow them with "
            "`.venv/bin/syncctl backfill status`",
            flush=True,
        )
    else:
        await point_webhooks(local)
        print(
            f"demo: resumed from {local.data_dir}/ (sandbox data and local state "
            "kept; `make clean` starts it afresh)",
            flush=True,
        )
    await connect_gateways(local)
    print(
        "demo: API addresses and tokens of both sandboxes: "
        "`.venv/bin/syncctl demo credentials`",
        flush=True,
    )


async def _post(http: aiohttp.ClientSession, url: str, body: object) -> dict[str, Any]:
    async with http.post(url, json=body) as response:
        response.raise_for_status()
        answer: dict[str, Any] = await response.json()
        return answer


def _ports_in_use(ports: list[int]) -> list[int]:
    busy = []
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


async def main(with_sandboxes: bool, demo_wanted: bool = True) -> int:
    settings = Settings()
    wanted = [settings.http_port(name) for name in SERVICE_PORTS]
    wanted += list(sandbox_ports(settings).values()) if with_sandboxes else []
    busy = _ports_in_use(wanted)
    if busy:
        print(
            f"ports {busy} are in use (another `make run` still running?); "
            "stop it first, or set the *_PORT variables",
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ)
    embedded: EmbeddedMongo | None = None
    if settings.mongodb_url is None:
        embedded = EmbeddedMongo(Path(settings.data_dir) / "mongo")
        env["MONGODB_URL"] = await embedded.start()
        # syncctl and services started by hand find and share this server.
        write_shared_marker(embedded.data_dir, env["MONGODB_URL"])
        print(f"embedded MongoDB-wire server: {env['MONGODB_URL']}", flush=True)
    if settings.secret_key is None:
        env["SECRET_KEY"] = demo.development_secret_key(Path(settings.data_dir))
    local = _local(settings, env)
    # Made before the admin service starts, so both read the same token.
    console_token = admin_token(local)
    with_demo = with_sandboxes and demo_wanted
    mode = await prepare_demo(local) if with_demo else "skip"
    files = demo.DemoFiles(Path(settings.data_dir))
    processes: dict[str, asyncio.subprocess.Process] = {}
    if with_sandboxes:
        files.sandboxes.mkdir(parents=True, exist_ok=True)
        for name, port in sandbox_ports(settings).items():
            args = ["--port", str(port), "--snapshot", str(files.snapshot(name))]
            processes[name] = await _start(f"services.{name}", args, env)
    for name in SERVICE_PORTS:
        processes[name] = await _start(f"services.{name}", [], env)

    ready = True
    for name in SERVICE_PORTS:
        port = settings.http_port(name)
        ok = await _wait_ready(f"http://127.0.0.1:{port}/readyz")
        ready = ready and ok
        print(
            f"{name:12} http://127.0.0.1:{port}/readyz  "
            f"{'ready' if ok else 'NOT READY'}",
            flush=True,
        )
    for name, port in sandbox_ports(settings).items() if with_sandboxes else ():
        ok = await _wait_ready(f"http://127.0.0.1:{port}/_sandbox/stats")
        ready = ready and ok
        print(
            f"{name:12} http://127.0.0.1:{port}/_sandbox/stats  "
            f"{'ready' if ok else 'NOT READY'}",
            flush=True,
        )
    if ready:
        print(
            f"console: http://127.0.0.1:{settings.admin_port}/ui/  admin token: "
            f"{console_token}  (kept in "
            f"{'ADMIN_TOKEN' if settings.admin_token else token_path(local)})",
            flush=True,
        )
    background: list[asyncio.Task[None]] = []
    if with_sandboxes:
        background.append(asyncio.create_task(keep_snapshots(local)))
    if ready and mode != "skip":
        try:
            await run_demo(local, mode)
        except Exception as exc:  # the system runs on; only the demo is missing
            print(f"demo seeding failed: {exc!r}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    exits = [asyncio.create_task(p.wait()) for p in processes.values()]
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([stopper, *exits], return_when=asyncio.FIRST_COMPLETED)
    for task in background:
        task.cancel()
    for name, process in processes.items():
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        elif not stop.is_set():
            print(
                f"{name} exited with {process.returncode}; stopping the rest",
                flush=True,
            )
    await asyncio.gather(*(p.wait() for p in processes.values()))
    if embedded is not None:
        (embedded.data_dir / "server.json").unlink(missing_ok=True)
        await embedded.stop()
    return 0 if ready and stop.is_set() else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-sandboxes", action="store_true", help="services only")
    parser.add_argument("--no-demo", action="store_true", help="no demo data")
    options = parser.parse_args()
    sys.exit(
        asyncio.run(
            main(
                with_sandboxes=not options.no_sandboxes, demo_wanted=not options.no_demo
            )
        )
    )
