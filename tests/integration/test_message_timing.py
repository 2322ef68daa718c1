"""A slow live message says where its time went (queued, claim, handler,
publish, store), a slow bulk one does not; a held event loop is reported.
Real RabbitMQ, embedded MongoDB."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest
from structlog.testing import capture_logs

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.inbox import Inbox
from common.loop_watch import watch_loop
from common.messages import Envelope, Lane
from common.metrics import Metrics
from common.store import Store
from tests.support import wait_for

pytestmark = pytest.mark.integration

SPEC = QueueSpec("timing", ("change.crm.*", "bulk.change.crm.#"))


class Slow:
    """Reads the store once, then stays busy past the slow mark."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.done: list[Lane] = []

    async def __call__(self, envelope: Envelope) -> Sequence[Envelope]:
        await self.store.db["timing_probe"].find_one({"_id": "x"})
        await asyncio.sleep(1.1)
        self.done.append(envelope.lane)
        return []


def change(lane: Lane) -> Envelope:
    return Envelope(
        kind="change",
        tenant="acme",
        system="crm",
        entity="contact",
        external_id="1",
        lane=lane,
    )


async def test_a_slow_live_message_is_logged_with_its_stages(
    bus: Bus, store: Store
) -> None:
    handler = Slow(store)
    metrics = Metrics("timing")
    consumer = Consumer(
        bus,
        SPEC,
        handler,
        inbox=Inbox(store),
        dead_letters=DeadLetters(store, bus),
        metrics=metrics,
    )
    await consumer.start()
    try:
        with capture_logs() as logs:
            await bus.publish(change("bulk"))
            await bus.publish(change("live"))

            async def both_done() -> bool:
                return len(handler.done) == 2

            await wait_for(both_done)
            await asyncio.sleep(0.2)  # the ack and the log line after it
    finally:
        await consumer.stop()
    slow = [line for line in logs if line["event"] == "message_slow"]
    assert len(slow) == 1, slow  # the live one only
    line = slow[0]
    assert line["log_level"] == "warning"
    assert line["handler_s"] >= 1.1
    assert line["total_s"] >= line["handler_s"]
    # Sent and taken on this machine within a moment (a header encoded as a
    # 32-bit float was a minute off).
    assert line["queued_s"] is not None
    assert 0 <= line["queued_s"] < 0.5
    # the claim, the handler's read and the inbox mark at least
    assert line["store_commands"] >= 3
    assert line["slowest_command"] is not None
    queued = metrics.registry.get_sample_value(
        "sync_queued_seconds_count", {"queue": "timing"}
    )
    assert queued == 2


async def test_a_held_event_loop_is_reported() -> None:
    metrics = Metrics("loop")
    with capture_logs() as logs:
        watcher = asyncio.create_task(watch_loop(metrics))
        await asyncio.sleep(0.15)
        time.sleep(0.7)  # noqa: ASYNC251 -- holds the loop, as a long parse would
        await asyncio.sleep(0.15)
        watcher.cancel()
    stalls = [line for line in logs if line["event"] == "event_loop_stalled"]
    assert len(stalls) == 1
    assert stalls[0]["seconds"] >= 0.5
    stalled = metrics.registry.get_sample_value("sync_event_loop_stalled_seconds_total")
    assert stalled is not None
    assert stalled >= 0.5
