"""The bus, the store and the matcher, each on its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import UpdateOne

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.inbox import Inbox, inbox_indexes
from common.messages import Envelope, Version
from common.settings import Settings
from common.store import open_store
from services.matcher.bootstrap import bootstrap


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


async def bus_throughput(settings: Settings, count: int) -> dict[str, Any]:
    """Persistent, confirmed publishes; consumes with inbox check + mark + ack."""
    store = await open_store(settings)
    await store.ensure_indexes(inbox_indexes(store))
    bus = Bus(settings)
    await bus.connect()
    received = 0
    done = asyncio.Event()

    async def handler(_: Envelope) -> Sequence[Envelope]:
        nonlocal received
        received += 1
        if received == count:
            done.set()
        return []

    spec = QueueSpec("bench.bus", ("change.crm.*",))
    await bus.declare_queue(spec)
    events = [
        Envelope(
            kind="change",
            tenant="b",
            system="crm",
            entity="contact",
            external_id=str(i),
        )
        for i in range(count)
    ]
    started = time.perf_counter()
    for start in range(0, count, 500):
        await bus.publish_many(events[start : start + 500])
    published = time.perf_counter() - started
    consumer = Consumer(
        bus,
        spec,
        handler,
        inbox=Inbox(store),
        dead_letters=DeadLetters(store, bus),
        prefetch=256,
    )
    started = time.perf_counter()
    await consumer.start()
    await asyncio.wait_for(done.wait(), 600)
    consumed = time.perf_counter() - started
    await consumer.stop()
    await bus.close()
    await store.close()
    return {
        "messages": count,
        "publish_confirmed_per_s": rate(count, published),
        "consume_with_inbox_per_s": rate(count, consumed),
    }


async def store_throughput(settings: Settings, count: int) -> dict[str, Any]:
    store = await open_store(settings)
    collection = store.db["bench_store"]
    started = time.perf_counter()
    for i in range(count):
        await collection.update_one(
            {"_id": f"k{i}"}, {"$set": {"email": f"p{i}@x.io", "v": i}}, upsert=True
        )
    upserts = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(count):
        await collection.find_one({"_id": f"k{i}"})
    finds = time.perf_counter() - started
    started = time.perf_counter()
    for start in range(0, count, 100):
        ids = [f"k{i}" for i in range(start, min(start + 100, count))]
        _ = [d async for d in collection.find({"_id": {"$in": ids}})]
    batched = time.perf_counter() - started
    started = time.perf_counter()
    await collection.bulk_write(
        [
            UpdateOne({"_id": f"b{i}"}, {"$set": {"v": i}}, upsert=True)
            for i in range(count)
        ],
        ordered=False,
    )
    bulk = time.perf_counter() - started
    await store.client.drop_database(settings.mongodb_database)
    await store.close()
    return {
        "documents": count,
        "single_upserts_per_s": rate(count, upserts),
        "single_finds_per_s": rate(count, finds),
        "finds_in_batches_of_100_per_s": rate(count, batched),
        "bulk_upserts_per_s": rate(count, bulk),
    }


async def matcher_throughput(settings: Settings, count: int) -> dict[str, Any]:
    """New CRM contacts through the matcher's handler on the real store:
    mirror, identity look-up, link, audit, write command per contact."""
    store = await open_store(settings)
    matcher = await bootstrap(store)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    changes = [
        Envelope(
            kind="change",
            tenant="bench",
            system="crm",
            entity="contact",
            external_id=f"c{i}",
            version=Version(updated_at=t0 + timedelta(seconds=i)),
            payload={
                "record": {
                    "first_name": "P",
                    "last_name": f"N{i}",
                    "email": f"p{i}@bench.io",
                }
            },
        )
        for i in range(count)
    ]
    started = time.perf_counter()
    writes = 0
    for change in changes:
        writes += sum(1 for out in await matcher.handle(change) if out.kind == "write")
    elapsed = time.perf_counter() - started
    await store.client.drop_database(settings.mongodb_database)
    await store.close()
    return {
        "changes": count,
        "new_contacts_per_s": rate(count, elapsed),
        "writes_emitted": writes,
    }
