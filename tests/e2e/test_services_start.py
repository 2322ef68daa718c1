"""Each service as its own OS process: starts, answers health, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from common.settings import SERVICE_PORTS, Settings
from common.store.embedded import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


async def wait_http(url: str, seconds: float = 30.0) -> tuple[int, dict[str, str]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while True:
            try:
                async with http.get(url) as response:
                    return response.status, await response.json()
            except aiohttp.ClientError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.1)


async def test_every_service_starts_answers_health_and_stops(
    settings: Settings, tmp_path: Path
) -> None:
    ports = {name: free_port() for name in SERVICE_PORTS}
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AMQP_URL": settings.amqp_url.get_secret_value(),
        "MONGODB_URL": (
            settings.mongodb_url.get_secret_value() if settings.mongodb_url else ""
        ),
        "MONGODB_DATABASE": settings.mongodb_database,
        "BUS_PREFIX": settings.bus_prefix,
        "DATA_DIR": str(tmp_path),
        "SECRET_KEY": settings.secret_key.get_secret_value()
        if settings.secret_key
        else "",
        "LOG_FORMAT": "json",
        **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    processes = {
        name: await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"services.{name}",
            env=env,
            cwd=REPO,
            stderr=asyncio.subprocess.PIPE,
        )
        for name in SERVICE_PORTS
    }
    try:
        for name, port in ports.items():
            status, body = await wait_http(f"http://127.0.0.1:{port}/healthz")
            assert (status, body["service"]) == (200, name)
            status, body = await wait_http(f"http://127.0.0.1:{port}/readyz")
            assert status == 200, body
            assert body == {"status": "ready", "broker": "up", "store": "up"}
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        codes = {
            name: await asyncio.wait_for(process.wait(), 30)
            for name, process in processes.items()
        }
    logs = {
        name: (await p.stderr.read()).decode()
        for name, p in processes.items()
        if p.stderr
    }
    assert codes == {name: 0 for name in SERVICE_PORTS}, logs
    for name, text in logs.items():
        assert '"event": "service_stopped"' in text, (name, text[-2000:])
        assert "guest:guest" not in text  # the broker URL's password is not logged
