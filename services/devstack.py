"""`make run`: the whole system on one machine.

Starts the embedded MongoDB-wire server once (unless MONGODB_URL is set),
the two API sandboxes, then every service as its own OS process pointed at
them; prints where each one answers; seeds demo data into both sandboxes,
connects tenant "demo" to them and starts its backfills (``--no-demo``
skips that); relays Ctrl-C / SIGTERM as a graceful stop to all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
from datetime import date
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet
from pydantic import SecretStr

from common.bus import Bus
from common.connections import Connections
from common.crypto import TokenCipher
from common.settings import SERVICE_PORTS, Settings
from common.store import EmbeddedMongo, open_store
from common.store.client import write_shared_marker
from services.admin.operations import sandbox_connection, start_backfill

SANDBOXES = {"zoho_sandbox": 9081, "qbo_sandbox": 9082}


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


def _development_secret_key(data_dir: Path) -> str:
    """`make run` on a laptop: a key kept under var/, made on first use.

    Deployments set SECRET_KEY themselves; losing this file only means the
    local connections must be authorised again.
    """
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
        print(f"SECRET_KEY not set: generated a development key in {path}", flush=True)
    return path.read_text().strip()


async def _start(
    module: str, args: list[str], env: dict[str, str]
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, env=env
    )


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


async def seed_demo(settings: Settings, env: dict[str, str]) -> None:
    """Fill both sandboxes, connect tenant "demo" to them, pull history in."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        zoho = await _post(
            http,
            f"http://127.0.0.1:{SANDBOXES['zoho_sandbox']}/_sandbox/reset",
            DEMO_ZOHO,
        )
        qbo = await _post(
            http,
            f"http://127.0.0.1:{SANDBOXES['qbo_sandbox']}/_sandbox/reset",
            DEMO_QBO,
        )
        gateway = f"http://127.0.0.1:{settings.qbo_gateway_port}/webhooks/qbo"
        await _post(
            http,
            f"http://127.0.0.1:{SANDBOXES['qbo_sandbox']}/_sandbox/webhooks",
            {"url": gateway, "verifier_token": DEMO_VERIFIER},
        )
    local = settings.model_copy(
        update={
            "mongodb_url": SecretStr(env["MONGODB_URL"]),
            "secret_key": SecretStr(env["SECRET_KEY"]),
        }
    )
    store = await open_store(local)
    bus = Bus(local)
    await bus.connect()
    try:
        cipher = TokenCipher(local.secret_key, local.secret_key_previous)
        await Connections(store, cipher).save(
            sandbox_connection(DEMO_TENANT, zoho, qbo, DEMO_VERIFIER)
        )
        for system in ("crm", "qbo"):
            await start_backfill(bus, DEMO_TENANT, system, date(2000, 1, 1))
    finally:
        await bus.close()
        await store.close()
    print(
        f"demo: tenant {DEMO_TENANT!r} connected to both sandboxes, backfills "
        "started; follow them with `.venv/bin/python -m services.admin backfill "
        "status`",
        flush=True,
    )


async def _post(
    http: aiohttp.ClientSession, url: str, body: object
) -> dict[str, object]:
    async with http.post(url, json=body) as response:
        response.raise_for_status()
        answer: dict[str, object] = await response.json()
        return answer


def _ports_in_use(ports: list[int]) -> list[int]:
    busy = []
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


async def main(with_sandboxes: bool, demo: bool = True) -> int:
    settings = Settings()
    wanted = [settings.http_port(name) for name in SERVICE_PORTS]
    wanted += list(SANDBOXES.values()) if with_sandboxes else []
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
        env["SECRET_KEY"] = _development_secret_key(Path(settings.data_dir))
    processes: dict[str, asyncio.subprocess.Process] = {}
    if with_sandboxes:
        for name, port in SANDBOXES.items():
            processes[name] = await _start(
                f"services.{name}", ["--port", str(port)], env
            )
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
    for name, port in SANDBOXES.items() if with_sandboxes else ():
        ok = await _wait_ready(f"http://127.0.0.1:{port}/_sandbox/stats")
        ready = ready and ok
        print(
            f"{name:12} http://127.0.0.1:{port}/_sandbox/stats  "
            f"{'ready' if ok else 'NOT READY'}",
            flush=True,
        )
    if ready and with_sandboxes and demo:
        try:
            await seed_demo(settings, env)
        except Exception as exc:  # the system runs on; only the demo data is missing
            print(f"demo seeding failed: {exc!r}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    exits = [asyncio.create_task(p.wait()) for p in processes.values()]
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([stopper, *exits], return_when=asyncio.FIRST_COMPLETED)
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
            main(with_sandboxes=not options.no_sandboxes, demo=not options.no_demo)
        )
    )
