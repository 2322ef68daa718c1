"""The broker drops every connection: the service reconnects by itself and no
confirmed message is lost."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence

import pytest

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.inbox import Inbox
from common.messages import Envelope
from common.settings import Settings
from common.store import Store
from tests.support import wait_for

pytestmark = pytest.mark.fault

SPEC = QueueSpec("dropq", ("change.qbo.*",))


def close_all_connections(vhost: str) -> None:
    subprocess.run(
        ["rabbitmqctl", "-q", "close_all_connections", "--vhost", vhost, "fault test"],
        check=True,
        capture_output=True,
    )


def event(i: int) -> Envelope:
    return Envelope(
        kind="change",
        tenant="acme",
        system="qbo",
        entity="customer",
        external_id=str(i),
    )


async def test_reconnects_and_loses_no_confirmed_message(
    settings: Settings, bus: Bus, store: Store, amqp_vhost: str
) -> None:
    received: set[str] = set()

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        received.add(envelope.external_id or "")
        return []

    consumer = Consumer(
        bus, SPEC, handler, inbox=Inbox(store), dead_letters=DeadLetters(store, bus)
    )
    await consumer.start()
    confirmed: set[str] = set()

    async def publish_stream(start: int, count: int) -> None:
        for i in range(start, start + count):
            await bus.publish(event(i))  # raises unless confirmed
            confirmed.add(str(i))
            await asyncio.sleep(0.005)

    before = bus.reconnects
    streaming = asyncio.create_task(publish_stream(0, 300))
    await asyncio.sleep(0.3)
    close_all_connections(amqp_vhost)
    await streaming

    async def reconnected() -> bool:
        return bus.reconnects > before and bus.is_connected

    await wait_for(reconnected, seconds=30)
    await publish_stream(300, 50)

    async def all_received() -> bool:
        return confirmed <= received

    await wait_for(all_received, seconds=30)
    await consumer.stop()
    assert len(confirmed) == 350
    assert confirmed <= received
