"""A service whose broker vhost has gone away still stops on SIGTERM within
the grace period (plus the closing margin): nothing on the way out waits
for a broker that will never come back."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from common.runtime import STOP_GRACE, STOP_MARGIN
from common.settings import Settings
from tests.support import wait_for

pytestmark = pytest.mark.fault

REPO = Path(__file__).resolve().parents[2]
EXIT_SLACK = 3.0  # interpreter shutdown after the stop


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True)


@pytest.fixture
def own_vhost() -> Iterator[str]:
    vhost = f"test-stop-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield vhost
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def ready(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def broker_down(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.json()
            return bool(body.get("broker") == "down")
    except aiohttp.ClientError:
        return False


async def test_sigterm_with_the_vhost_deleted_stops_within_the_grace(
    settings: Settings, own_vhost: str, tmp_path: Path
) -> None:
    assert settings.mongodb_url is not None
    assert settings.secret_key is not None
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AMQP_URL": f"amqp://guest:guest@127.0.0.1:5672/{own_vhost}",
        "MONGODB_URL": settings.mongodb_url.get_secret_value(),
        "MONGODB_DATABASE": settings.mongodb_database,
        "BUS_PREFIX": settings.bus_prefix,
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "DATA_DIR": str(tmp_path),
        "LOG_FORMAT": "console",
        "QBO_GATEWAY_PORT": str(port),
    }
    log_path = tmp_path / "qbo_gateway.log"
    with log_path.open("w") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.qbo_gateway",
            env=env,
            cwd=REPO,
            stdout=log_file,
            stderr=log_file,
        )
    try:
        readyz = f"http://127.0.0.1:{port}/readyz"
        await wait_for(lambda: ready(readyz), seconds=30)
        rabbitmqctl("delete_vhost", own_vhost)
        # Readiness reports the broker gone while the connection retries.
        await wait_for(lambda: broker_down(readyz), seconds=30)
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(
                process.wait(), STOP_GRACE + STOP_MARGIN + EXIT_SLACK
            )
        except TimeoutError:
            raise AssertionError(
                "no exit after SIGTERM within the grace period:\n"
                + log_path.read_text()[-3000:]
            ) from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
