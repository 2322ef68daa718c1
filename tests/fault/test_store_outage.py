"""The database goes away while messages flow, then comes back: nothing is
lost (every message applied, by an idempotent handler, exactly one effect
each), nothing is dead-lettered, and readiness says so while it is away."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from common.bus import QueueSpec
from common.messages import Envelope
from common.runtime import ServiceContext, ServiceRunner
from common.settings import Settings
from common.store import EmbeddedMongo, open_store
from tests.support import wait_for

pytestmark = pytest.mark.fault


async def test_store_outage_delays_work_and_loses_none(
    settings: Settings, tmp_path: Path
) -> None:
    server = EmbeddedMongo(tmp_path / "own-mongo")
    url = await server.start()
    own = settings.model_copy(update={"mongodb_url": SecretStr(url)})
    spec = QueueSpec("outage", ("change.crm.*",))

    async def build(context: ServiceContext) -> None:
        store = context.store

        async def apply(envelope: Envelope) -> Sequence[Envelope]:
            # An idempotent effect: one document per event id.
            await store.db["effects"].update_one(
                {"_id": str(envelope.event_id)},
                {"$setOnInsert": {"external_id": envelope.external_id}},
                upsert=True,
            )
            return []

        context.consume(spec, apply)

    runner = ServiceRunner("matcher", own, build)
    await runner.start(port=0)
    assert runner.context is not None
    bus = runner.context.bus
    probe = await open_store(own)
    ready = f"http://127.0.0.1:{runner.port}/readyz"
    try:
        events = [
            Envelope(
                kind="change",
                tenant="t",
                system="crm",
                entity="contact",
                external_id=str(i),
            )
            for i in range(60)
        ]
        await bus.publish_many(events[:20])

        async def count(n: int) -> bool:
            return await probe.db["effects"].count_documents({}) == n

        await wait_for(lambda: count(20), seconds=20)
        await server.stop()  # the database goes away
        await bus.publish_many(events[20:])  # work keeps arriving
        async with aiohttp.ClientSession() as http, http.get(ready) as reply:
            assert reply.status == 503
            assert (await reply.json())["store"] == "down"
        await asyncio.sleep(2)
        server.start_sync()  # and comes back on the same port and data
        await wait_for(lambda: count(60), seconds=60)
        await asyncio.sleep(1)
        effects = [d async for d in probe.db["effects"].find({})]
        assert sorted(d["_id"] for d in effects) == sorted(
            str(e.event_id) for e in events
        )
        assert await probe.db["dead_letters"].count_documents({}) == 0
        async with aiohttp.ClientSession() as http, http.get(ready) as reply:
            assert reply.status == 200
    finally:
        await runner.stop()
        await probe.close()
        await server.stop()
