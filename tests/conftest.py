"""Shared fixtures: the real RabbitMQ (own vhost per run, own prefix per test)
and the embedded MongoDB-wire server (own database per test), or real MongoDB
when MONGODB_URL is set."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from common.bus import Bus
from common.settings import Settings
from common.store import EmbeddedMongo, Store, open_store

# Each test is in exactly one tier. `unit` means no I/O at all (`make
# test-fast` runs only those); a parameter that brings I/O (the matcher on the
# embedded store, say) puts that case in its I/O tier, whatever its module says.
TIERS = ("unit", "integration", "sandbox", "e2e", "fault")
IO_TIERS = frozenset(TIERS[1:])
# Fixtures that reach RabbitMQ, the store, a sandbox or a service process.
IO_FIXTURES = frozenset(
    {"amqp_vhost", "amqp_url", "mongo_url", "settings", "store", "bus", "zoho", "qbo"}
)


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    parents: dict[int, Any] = {}  # id → node (pytest.Item or a collector)
    for item in items:
        # A tier set on a module or class becomes each test's own, so one
        # test's tier can change without touching its neighbours'.
        for node in list(item.iter_parents())[1:]:
            parents[id(node)] = node
            inherited = [m for m in node.own_markers if m.name in TIERS]
            item.own_markers.extend(m for m in inherited if m not in item.own_markers)
    for node in parents.values():
        node.own_markers[:] = [m for m in node.own_markers if m.name not in TIERS]
    problems: list[str] = []
    for item in items:
        names = {mark.name for mark in item.iter_markers()}
        if not names & set(TIERS):
            problems.append(f"{item.nodeid}: no tier (mark it one of {TIERS})")
        if "unit" in names and names & IO_TIERS:
            item.own_markers[:] = [m for m in item.own_markers if m.name != "unit"]
            names.discard("unit")
        reaching = sorted(IO_FIXTURES & set(getattr(item, "fixturenames", ())))
        if "unit" in names and reaching:
            uses = ", ".join(reaching)
            problems.append(f"{item.nodeid}: marked unit but uses {uses}")
    if problems:
        raise pytest.UsageError("test tiers:\n" + "\n".join(problems))


@pytest.fixture(autouse=True)
def _unit_tests_reach_nothing(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit test that opens a connection or starts a process fails: the
    tier promises no I/O, and this keeps the promise checked."""
    if request.node.get_closest_marker("unit") is None:
        return

    def refused(*_args: object, **_kwargs: object) -> None:
        raise AssertionError(f"{request.node.nodeid} is a unit test: no I/O")

    monkeypatch.setattr(socket.socket, "connect", refused)
    monkeypatch.setattr(socket.socket, "connect_ex", refused)
    monkeypatch.setattr(subprocess.Popen, "__init__", refused)


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
