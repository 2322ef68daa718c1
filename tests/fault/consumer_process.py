"""A consumer in its own process, for the kill test.

Its handler records every delivery, applies the effect idempotently (keyed by
event id) and then, while the ``hold`` file exists, waits before returning,
so the test can SIGKILL it after the effect and before the ack.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from pydantic import SecretStr

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.inbox import Inbox
from common.messages import Envelope
from common.settings import Settings
from common.store import open_store

SPEC = QueueSpec("killq", ("change.crm.*",))


async def main() -> None:
    settings = Settings(
        amqp_url=SecretStr(os.environ["TEST_AMQP_URL"]),
        mongodb_url=SecretStr(os.environ["TEST_MONGODB_URL"]),
        mongodb_database=os.environ["TEST_DATABASE"],
        bus_prefix=os.environ["TEST_PREFIX"],
        bus_prefetch=1,
    )
    hold = Path(os.environ["TEST_HOLD_FILE"])
    store = await open_store(settings)
    bus = Bus(settings)
    await bus.connect()

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        event_id = str(envelope.event_id)
        await store.db["deliveries"].insert_one(
            {"_id": uuid.uuid4().hex, "event_id": event_id, "pid": os.getpid()}
        )
        await store.db["effects"].update_one(
            {"_id": event_id}, {"$setOnInsert": {"applied": True}}, upsert=True
        )
        # Polled, not awaited on an event: the test controls it from outside.
        while await asyncio.to_thread(hold.exists):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return []

    consumer = Consumer(
        bus, SPEC, handler, inbox=Inbox(store), dead_letters=DeadLetters(store, bus)
    )
    await consumer.start()
    print("consuming", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
