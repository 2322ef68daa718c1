"""When the system has stopped moving: queues empty (ready and unacked, retry
queues included), Zoho has no notification in flight, links steady and no
API write to either side, for a few poll intervals."""

from __future__ import annotations

import asyncio
import re
import subprocess
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from common.store import Store
from tests.e2e.system import System

POLL_INTERVAL = 2.0  # POLL_INTERVAL_SECONDS in tests/e2e/system.py's env
STEADY_SECONDS = 2.5 * POLL_INTERVAL  # two scheduler rounds that changed nothing
QUIET_SECONDS = 3 * POLL_INTERVAL  # then no write at all for three more
SETTLE_TIMEOUT = 90.0
# Requests that change nothing although their method is not GET.
READ_PATHS = ("/coql", "/search", "/query", "/actions/watch", "/oauth", "/tokens")


@dataclass(frozen=True)
class Sample:
    queues: dict[str, tuple[int, int]]  # name -> (ready, unacknowledged)
    zoho_pending: int
    links: int
    writes: tuple[int, int]  # Zoho, QBO

    @property
    def busy_queues(self) -> dict[str, tuple[int, int]]:
        return {name: depth for name, depth in self.queues.items() if any(depth)}

    def fingerprint(self) -> tuple[int, tuple[int, int]]:
        return self.links, self.writes


def vhost_of(system: System) -> str:
    path = urlsplit(system.settings.amqp_url.get_secret_value()).path
    return unquote(path.lstrip("/")) or "/"


def queue_depths(system: System) -> dict[str, tuple[int, int]]:
    """Every queue of this run's prefix except the dead-letter archive."""
    prefix = system.settings.bus_prefix
    listing = subprocess.run(
        [
            "rabbitmqctl",
            "-q",
            "list_queues",
            "-p",
            vhost_of(system),
            "--no-table-headers",
            "name",
            "messages_ready",
            "messages_unacknowledged",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    depths = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[0].startswith(prefix):
            continue
        if parts[0] == f"{prefix}dead_letters":
            continue
        depths[parts[0]] = (count(parts[1]), count(parts[2]))
    return depths


def count(text: str) -> int:
    """rabbitmqctl may append a state to a number ("0:terminated")."""
    digits = re.match(r"\d+", text)
    return int(digits.group()) if digits else 0


def is_write(method: str, path: str) -> bool:
    return method != "GET" and not any(part in path for part in READ_PATHS)


async def api_writes(system: System) -> tuple[int, int]:
    """Counted writes each sandbox has answered (the test's own included)."""
    zoho = await system.zoho.admin("GET", "stats")
    qbo = await system.qbo.admin("GET", "stats")
    return (
        sum(r["count"] for r in zoho["requests"] if is_write(r["method"], r["path"])),
        sum(r["count"] for r in qbo["requests"] if is_write(r["method"], r["path"])),
    )


async def sample(system: System, store: Store) -> Sample:
    depths = await asyncio.to_thread(queue_depths, system)
    zoho = await system.zoho.admin("GET", "notifications/deliveries")
    links = await store.db["matcher_links"].count_documents({})
    return Sample(depths, int(zoho["pending"]), links, await api_writes(system))


async def settle(system: System, store: Store) -> tuple[bool, Sample]:
    """Wait until nothing moved for STEADY_SECONDS; False if it never did."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT
    steady_since: float | None = None
    last: Sample | None = None
    while loop.time() < deadline:
        now = await sample(system, store)
        idle = not now.busy_queues and not now.zoho_pending
        if idle and last is not None and now.fingerprint() == last.fingerprint():
            steady_since = steady_since or loop.time()
            if loop.time() - steady_since >= STEADY_SECONDS:
                return True, now
        else:
            steady_since = None
        last = now
        await asyncio.sleep(0.5)
    assert last is not None
    return False, last


async def quiet_period(system: System, store: Store) -> tuple[Sample, Sample]:
    """Samples before and after QUIET_SECONDS with nothing done by anyone."""
    before = await sample(system, store)
    await asyncio.sleep(QUIET_SECONDS)
    after = await sample(system, store)
    for _ in range(5):  # a poll round may be in flight at any one instant
        if not after.busy_queues:
            break
        await asyncio.sleep(0.4)
        after = await sample(system, store)
    return before, after
