"""The service runtime in-process: health endpoints and a graceful stop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiohttp
import pytest

from common.bus import QueueSpec
from common.messages import Envelope
from common.runtime import ServiceContext, ServiceRunner
from common.settings import Settings
from tests.support import wait_for

pytestmark = pytest.mark.integration


async def test_health_ready_and_metrics(settings: Settings) -> None:
    async def build(context: ServiceContext) -> None:
        return None

    runner = ServiceRunner("scheduler", settings, build)
    await runner.start(port=0)
    base = f"http://127.0.0.1:{runner.port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
                assert (await response.json())["service"] == "scheduler"
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 200
                assert await response.json() == {
                    "status": "ready",
                    "broker": "up",
                    "store": "up",
                }
            async with http.get(f"{base}/metrics") as response:
                assert response.status == 200
                text = await response.text()
                assert 'sync_dependency_up{dependency="broker"} 1.0' in text
            before = _store_commands(text)
            assert runner.context is not None
            await runner.context.store.db["probe"].find_one({"_id": "x"})
            await runner.context.store.db["probe"].find_one({"_id": "y"})
            async with http.get(f"{base}/metrics") as response:
                after = _store_commands(await response.text())
            # The two finds, and the readiness pings the scrape may trigger.
            assert after - before >= 2
    finally:
        await runner.stop()


def _store_commands(metrics_text: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith("sync_store_commands_total "):
            return float(line.split()[1])
    raise AssertionError("sync_store_commands_total is not exposed")


async def test_graceful_stop_finishes_in_flight_work(settings: Settings) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[str] = []
    spec = QueueSpec("graceful", ("change.crm.*",))

    async def slow(envelope: Envelope) -> Sequence[Envelope]:
        started.set()
        await release.wait()
        finished.append(envelope.external_id or "")
        return []

    async def build(context: ServiceContext) -> None:
        context.consume(spec, slow, prefetch=1)

    runner = ServiceRunner("matcher", settings, build)
    await runner.start(port=0)
    assert runner.context is not None
    bus = runner.context.bus
    await bus.publish_many(
        [
            Envelope(
                kind="change",
                tenant="t",
                system="crm",
                entity="contact",
                external_id=str(i),
            )
            for i in range(3)
        ]
    )
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(runner.stop())
    await asyncio.sleep(0.3)
    assert not stopping.done(), "stop must wait for the in-flight message"
    release.set()
    await stopping
    assert finished == ["0"]  # the in-flight one finished; no new one was taken

    # The two never taken are still queued for the next instance.
    again = ServiceRunner("matcher", settings, build)
    await again.start(port=0)
    try:
        await wait_for(lambda: _done(finished, 3))
        assert sorted(finished) == ["0", "1", "2"]
    finally:
        await again.stop()


async def _done(finished: list[str], count: int) -> bool:
    return len(finished) == count
