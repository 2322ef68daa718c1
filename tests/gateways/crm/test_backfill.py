"""A backfill of 5,000 contacts, its gateway process SIGKILLed halfway, resumed
by another gateway to completion: every record published, counts right."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from common.bus import Bus
from common.connections import Connection, Connections
from common.gateway.cursors import Cursors
from common.settings import Settings
from common.store import Store
from tests.gateways.crm.conftest import (
    TENANT,
    Sandbox,
    StartGateway,
    Tap,
    crm_side,
    envelope,
)
from tests.support import wait_for

pytestmark = pytest.mark.fault

REPO = Path(__file__).resolve().parents[3]
RECORDS = 5000
PAGES = RECORDS // 200


def gateway_process(settings: Settings) -> subprocess.Popen[bytes]:
    """``python -m services.crm_gateway``, configured as a deployment would be."""
    assert settings.mongodb_url is not None
    assert settings.secret_key is not None
    env = {
        **os.environ,
        "AMQP_URL": settings.amqp_url.get_secret_value(),
        "MONGODB_URL": settings.mongodb_url.get_secret_value(),
        "MONGODB_DATABASE": settings.mongodb_database,
        "BUS_PREFIX": settings.bus_prefix,
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "CRM_GATEWAY_PORT": "0",
        "DATA_DIR": str(settings.data_dir),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.crm_gateway"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_backfill_killed_halfway_resumes_to_completion(
    zoho: Sandbox,
    connections: Connections,
    settings: Settings,
    store: Store,
    bus: Bus,
    tap: Tap,
    start_gateway: StartGateway,
) -> None:
    await zoho.reset(seed=5, contacts=RECORDS)
    await connections.save(Connection(tenant=TENANT, crm=crm_side(zoho.creds)))
    cursors = Cursors(store)
    await bus.declare_service_queues("crm_gateway")
    await bus.publish(
        envelope("backfill", "contact", payload={"since": "2000-01-01", "run_id": "r1"})
    )
    process = gateway_process(settings)
    try:
        await wait_for(lambda: _pages_at_least(cursors, PAGES // 2), 60)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    cursor = await cursors.backfill(TENANT, "crm", "contact")
    assert cursor["status"] == "running", "killed after it finished: too slow a kill"
    killed_at = cursor["page"]

    await start_gateway()  # another replica picks up the unacked page
    await wait_for(lambda: _done(cursors), 60)
    cursor = await cursors.backfill(TENANT, "crm", "contact")
    await wait_for(lambda: _all_seen(tap), 20)
    assert cursor["page"] == PAGES
    assert cursor["published"] == RECORDS
    assert cursor["total"] == RECORDS
    assert len(set(tap.ids())) == RECORDS  # every record at least once
    stats = await zoho.stats()
    reads = sum(
        row["count"]
        for row in stats["requests"]
        if row["method"] == "GET" and row["path"].startswith("/crm/v8/{module}")
    )
    print(
        f"\nbackfill of {RECORDS} contacts killed at page {killed_at}/{PAGES}: "
        f"{reads} read calls, {reads / RECORDS:.4f} API calls per record, "
        f"{len(tap.ids())} changes published for {len(set(tap.ids()))} records; "
        f"all API calls {stats['api_calls']}"
    )
    assert reads / RECORDS < 0.01


async def _pages_at_least(cursors: Cursors, pages: int) -> bool:
    await asyncio.sleep(0)
    return (
        int((await cursors.backfill(TENANT, "crm", "contact")).get("page") or 0)
        >= pages
    )


async def _done(cursors: Cursors) -> bool:
    return (await cursors.backfill(TENANT, "crm", "contact")).get("status") == "done"


async def _all_seen(tap: Tap) -> bool:
    return len(set(tap.ids())) >= RECORDS
