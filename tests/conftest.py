"""Shared fixtures: the real RabbitMQ (own vhost per run, own prefix per test)
and the embedded MongoDB-wire server (own database per test), or real MongoDB
when MONGODB_URL is set."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from common.bus import Bus
from common.settings import Settings
from common.store import EmbeddedMongo, Store, open_store


def _rabbitmqctl(*args: str) -> None:
    if shutil.which("rabbitmqctl") is None:
        raise RuntimeError("rabbitmqctl not found: RabbitMQ must run on this machine")
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def amqp_vhost() -> Iterator[str]:
    """A vhost of this test run's own, so runs never see each other's messages."""
    vhost = f"test-{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield vhost
    _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
def amqp_url(amqp_vhost: str) -> str:
    return f"amqp://guest:guest@127.0.0.1:5672/{amqp_vhost}"


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MONGODB_URL if set (run the suites against real MongoDB), else embedded."""
    if os.environ.get("MONGODB_URL"):
        yield os.environ["MONGODB_URL"]
        return
    server = EmbeddedMongo(tmp_path_factory.mktemp("mongo"))
    server.start_sync()
    yield server.url
    server.stop_sync()


@pytest.fixture
def test_id() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def settings(amqp_url: str, mongo_url: str, test_id: str, tmp_path: Path) -> Settings:
    return Settings(
        amqp_url=SecretStr(amqp_url),
        mongodb_url=SecretStr(mongo_url),
        mongodb_database=f"t_{test_id}",
        data_dir=tmp_path,
        bus_prefix=f"t{test_id}.",
        bus_retry_delays=(0.2, 0.4, 0.8),
        bus_max_attempts=4,
        log_format="console",
        secret_key=SecretStr(Fernet.generate_key().decode()),
    )


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    opened = await open_store(settings)
    yield opened
    await opened.client.drop_database(settings.mongodb_database)
    await opened.close()


@pytest.fixture
async def bus(settings: Settings) -> AsyncIterator[Bus]:
    connected = Bus(settings)
    await connected.connect()
    yield connected
    await connected.close()
