"""A consumer SIGKILLed after its effect but before the ack: the message is
redelivered to the next consumer and the effect still happens exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from common.bus import Bus
from common.messages import Envelope
from common.settings import Settings
from common.store import Store
from tests.support import wait_for

pytestmark = pytest.mark.fault

SCRIPT = Path(__file__).with_name("consumer_process.py")
REPO = Path(__file__).resolve().parents[2]


async def start_consumer(settings: Settings, hold: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TEST_AMQP_URL": settings.amqp_url.get_secret_value(),
        "TEST_MONGODB_URL": settings.mongodb_url.get_secret_value()
        if settings.mongodb_url
        else "",
        "TEST_DATABASE": settings.mongodb_database,
        "TEST_PREFIX": settings.bus_prefix,
        "TEST_HOLD_FILE": str(hold),
        "LOG_FORMAT": "console",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), env=env, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 20)
    assert line.strip() == b"consuming"
    return process


async def test_killed_before_ack_redelivers_and_applies_once(
    settings: Settings, bus: Bus, store: Store, tmp_path: Path
) -> None:
    hold = tmp_path / "hold"
    hold.touch()
    first = await start_consumer(settings, hold)
    events = [
        Envelope(
            kind="change",
            tenant="acme",
            system="crm",
            entity="contact",
            external_id=str(i),
        )
        for i in range(5)
    ]
    await bus.publish_many(events)
    victim = str(events[0].event_id)

    async def effect_applied() -> bool:
        return await store.db["effects"].find_one({"_id": victim}) is not None

    await wait_for(effect_applied, seconds=20)
    first.send_signal(signal.SIGKILL)  # after the effect, before the ack
    await first.wait()

    hold.unlink()
    second = await start_consumer(settings, hold)
    try:

        async def all_applied() -> bool:
            return await store.db["effects"].count_documents({}) == len(events)

        await wait_for(all_applied, seconds=30)
        await asyncio.sleep(0.5)  # a stray second application would land now
        deliveries = await store.db["deliveries"].count_documents({"event_id": victim})
        assert deliveries == 2, "the unacked message must be redelivered"
        effects = [d async for d in store.db["effects"].find({})]
        assert sorted(d["_id"] for d in effects) == sorted(
            str(e.event_id) for e in events
        )
        depth = await bus.queue_depth(bus.names.queue("killq"))
        assert depth == 0
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
