"""fetch, poll and backfill against the QBO sandbox."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from common.gateway.cursors import Cursors
from common.messages import Envelope
from common.settings import Settings
from common.store import Store
from common.store.embedded import free_port
from tests.support import holds, wait_for

from .conftest import TENANT, Running, Sandbox, connect

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def task(kind: str, entity: str, **fields: object) -> Envelope:
    return Envelope(kind=kind, tenant=TENANT, system="qbo", entity=entity, **fields)


async def test_fetch_reads_ids_in_one_query_including_inactive_and_gone(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    status, body = await qbo_sandbox.api(
        "POST", "customer", json={"DisplayName": "Gone Soon", "Active": True}
    )
    assert status == 200
    customer = body["Customer"]
    status, _ = await qbo_sandbox.api(
        "POST",
        "customer",
        json={
            "Id": customer["Id"],
            "SyncToken": customer["SyncToken"],
            "sparse": True,
            "Active": False,
        },
    )
    assert status == 200
    await qbo_sandbox.admin("DELETE", "stats")
    await running.bus.publish(
        task("fetch", "customer", payload={"ids": [customer["Id"], "424242"]})
    )
    await running.bus.publish(task("fetch", "invoice", external_id="999999"))

    await wait_for(lambda: holds(len(running.probe.of("change")) == 3))
    changes = {e.external_id: e for e in running.probe.of("change")}
    assert changes[customer["Id"]].payload["record"]["active"] is False
    version = changes[customer["Id"]].version
    assert version is not None
    assert version.sequence == 1
    assert changes["999999"].deleted  # no such invoice: gone from QBO
    assert changes["424242"].deleted
    stats = await qbo_sandbox.stats()
    queries = sum(c for p, c in stats["by_path"].items() if p.endswith("/query"))
    assert queries == 2  # one per entity, not one per id


async def test_poll_publishes_changes_then_advances_the_watermark(
    running: Running, qbo_sandbox: Sandbox, store: Store
) -> None:
    for n in range(3):
        status, _ = await qbo_sandbox.api(
            "POST",
            "item",
            json={
                "Name": f"Widget {n}",
                "Type": "Service",
                "IncomeAccountRef": {"value": "1"},
            },
        )
        assert status == 200, _
    await running.bus.publish(task("poll", "*"))
    wanted = {"Widget 0", "Widget 1", "Widget 2"}

    def names() -> set[str]:
        return {e.payload["record"]["name"] for e in running.probe.of("change", "item")}

    await wait_for(lambda: holds(wanted <= names()))
    cursors = Cursors(store)

    async def advanced() -> bool:  # saved once the changes are published
        return await cursors.watermark(TENANT, "qbo", "*") is not None

    await wait_for(advanced)
    watermark = await cursors.watermark(TENANT, "qbo", "*")
    assert watermark is not None

    # A second poll re-reads from the watermark (>=): overlap, never a gap.
    before = len(running.probe.received)
    status, _ = await qbo_sandbox.api(
        "POST",
        "item",
        json={
            "Name": "Widget 3",
            "Type": "Service",
            "IncomeAccountRef": {"value": "1"},
        },
    )
    await running.bus.publish(task("poll", "*", payload={"n": 2}))
    await wait_for(
        lambda: holds(
            any(
                e.payload["record"].get("name") == "Widget 3"
                for e in running.probe.received[before:]
            )
        )
    )
    later = await cursors.watermark(TENANT, "qbo", "*")
    assert later is not None
    assert later >= watermark


async def test_poll_that_cannot_publish_leaves_the_watermark(
    running: Running, qbo_sandbox: Sandbox, store: Store
) -> None:
    await qbo_sandbox.api(
        "POST",
        "item",
        json={
            "Name": "Unpublished",
            "Type": "Service",
            "IncomeAccountRef": {"value": "1"},
        },
    )
    original = running.gateway.reads.bus.publish_many

    async def broker_refuses(envelopes: object) -> None:
        raise ConnectionError("broker gone")

    running.gateway.reads.bus.publish_many = broker_refuses  # type: ignore[method-assign]
    try:
        with pytest.raises(ConnectionError):
            await running.gateway.reads.poll(task("poll", "*"))
    finally:
        running.gateway.reads.bus.publish_many = original  # type: ignore[method-assign]
    assert await Cursors(store).watermark(TENANT, "qbo", "*") is None


async def start_gateway_process(
    settings: Settings, port: int
) -> asyncio.subprocess.Process:
    assert settings.mongodb_url is not None
    assert settings.secret_key is not None
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AMQP_URL": settings.amqp_url.get_secret_value(),
        "MONGODB_URL": settings.mongodb_url.get_secret_value(),
        "MONGODB_DATABASE": settings.mongodb_database,
        "BUS_PREFIX": settings.bus_prefix,
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "QBO_GATEWAY_PORT": str(port),
        "BACKFILL_PAGE_SIZE": "500",
        "DATA_DIR": str(settings.data_dir),
        "LOG_FORMAT": "json",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.qbo_gateway",
        env=env,
        cwd=REPO,
        stderr=asyncio.subprocess.DEVNULL,
    )


@pytest.mark.fault
async def test_backfill_of_5000_killed_halfway_resumes_to_completion(
    qbo_sandbox: Sandbox, gateway_settings: Settings, store: Store, bus: object
) -> None:
    from common.bus import Bus, Consumer, DeadLetters, QueueSpec
    from common.inbox import Inbox

    assert isinstance(bus, Bus)
    await qbo_sandbox.reset(customers=5000)
    await connect(store, gateway_settings, qbo_sandbox.creds)
    await qbo_sandbox.admin("DELETE", "stats")
    seen: dict[str, int] = {}

    async def collect(envelope: Envelope) -> list[Envelope]:
        seen[envelope.external_id or ""] = seen.get(envelope.external_id or "", 0) + 1
        return []

    probe = Consumer(
        bus,
        QueueSpec("backfill_probe", ("bulk.change.qbo.customer.#",)),
        collect,
        inbox=Inbox(store),
        dead_letters=DeadLetters(store, bus),
        prefetch=500,
    )
    await probe.start()
    await bus.declare_service_queues("qbo_gateway")
    port = free_port()
    first = await start_gateway_process(gateway_settings, port)
    await bus.publish(
        task("backfill", "customer", payload={"since": "2000-01-01", "run_id": "r1"})
    )
    cursors = Cursors(store)

    async def pages_done(n: int) -> bool:
        return (
            int((await cursors.backfill(TENANT, "qbo", "customer")).get("page", 0)) >= n
        )

    await wait_for(lambda: pages_done(4), seconds=60)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    halfway = await cursors.backfill(TENANT, "qbo", "customer")
    assert halfway["status"] == "running"

    second = await start_gateway_process(gateway_settings, port)
    try:

        async def finished() -> bool:
            cursor = await cursors.backfill(TENANT, "qbo", "customer")
            return cursor.get("status") == "done"

        await wait_for(finished, seconds=90)
        await wait_for(lambda: holds(len(seen) >= 5000), seconds=30)
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
        await probe.stop()
    cursor = await cursors.backfill(TENANT, "qbo", "customer")
    records = await qbo_sandbox.records("Customer")
    assert len(seen) == len(records) == 5000
    assert cursor["total"] == 5000
    assert cursor["published"] == 5000  # each page counted once
    assert cursor["page"] == 11  # 10 full pages of 500 and an empty last one
    stats = await qbo_sandbox.stats()
    calls = stats["total"]
    report = REPO / "var" / "measurements" / "qbo_backfill_calls.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        f"qbo backfill of 5000 customers, page 500, killed after page 4: "
        f"{calls} API calls, {calls / 5000:.4f} per record, "
        f"{sum(seen.values()) - len(seen)} change events published twice\n"
    )


def _calls(stats: dict[str, Any], suffix: str) -> int:
    return sum(c for p, c in stats["by_path"].items() if p.endswith(suffix))


async def test_poll_past_the_cdc_window_pages_a_query_instead(
    running: Running, qbo_sandbox: Sandbox, store: Store, gateway_settings: Settings
) -> None:
    await qbo_sandbox.reset(customers=30, history_days=20)
    await connect(store, gateway_settings, qbo_sandbox.creds)
    await Cursors(store).advance_watermark(
        TENANT, "qbo", "*", datetime.now(UTC) - timedelta(days=40), 0
    )
    await qbo_sandbox.admin("DELETE", "stats")
    await running.gateway.reads.poll(task("poll", "*"))
    stats = await qbo_sandbox.stats()
    assert _calls(stats, "/cdc") == 0  # CDC refuses more than 30 days back
    assert _calls(stats, "/query") >= 5  # one per entity at least
    await wait_for(lambda: holds(len(running.probe.of("change", "customer")) == 30))


async def test_poll_over_the_cdc_cap_reads_the_rest_by_query(
    running: Running, qbo_sandbox: Sandbox, store: Store, gateway_settings: Settings
) -> None:
    await qbo_sandbox.reset(customers=1100, history_days=1)
    await connect(store, gateway_settings, qbo_sandbox.creds)
    await Cursors(store).advance_watermark(
        TENANT, "qbo", "*", datetime.now(UTC) - timedelta(days=3), 0
    )
    await qbo_sandbox.admin("DELETE", "stats")
    await running.gateway.reads.poll(task("poll", "*"))
    stats = await qbo_sandbox.stats()
    assert _calls(stats, "/cdc") == 1
    assert _calls(stats, "/query") == 2  # 1000 + 100 customers, by query
    await wait_for(
        lambda: holds(
            len({e.external_id for e in running.probe.of("change", "customer")}) == 1100
        ),
        seconds=30,
    )
