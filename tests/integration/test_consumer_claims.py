"""Copies of one message delivered at once run once: in one consumer, across
consumers (processes) through the inbox claim, and a crashed holder's claim
runs out so the message is still handled. Real RabbitMQ, embedded MongoDB."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.inbox import INBOX, Claim, Inbox
from common.messages import Envelope
from common.metrics import Metrics
from common.settings import Settings
from common.store import Store
from common.store.times import to_stored
from tests.support import wait_for

pytestmark = pytest.mark.integration

SPEC = QueueSpec("claims", ("change.crm.*",))


class Recorder:
    """A handler that counts its runs and stays busy a little, so copies
    delivered together overlap."""

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()

    async def __call__(self, envelope: Envelope) -> Sequence[Envelope]:
        self.runs[str(envelope.event_id)] += 1
        await asyncio.sleep(0.2)
        return []


def outcomes(metrics: Metrics) -> dict[str, float]:
    counts: dict[str, float] = {}
    for metric in metrics.messages.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                outcome = sample.labels["outcome"]
                counts[outcome] = counts.get(outcome, 0) + sample.value
    return counts


def change(external_id: str = "1") -> Envelope:
    return Envelope(
        kind="change",
        tenant="acme",
        system="crm",
        entity="contact",
        external_id=external_id,
    )


async def publish_copies(bus: Bus, envelope: Envelope, copies: int) -> None:
    await asyncio.gather(*(bus.publish(envelope) for _ in range(copies)))


@pytest.fixture
async def second_bus(settings: Settings) -> AsyncIterator[Bus]:
    """Another connection: a consumer on it is as good as another process."""
    connected = Bus(settings)
    await connected.connect()
    yield connected
    await connected.close()


def consumer(bus: Bus, store: Store, handler: Recorder, metrics: Metrics) -> Consumer:
    return Consumer(
        bus,
        SPEC,
        handler,
        inbox=Inbox(store),
        dead_letters=DeadLetters(store, bus),
        metrics=metrics,
        prefetch=32,
    )


async def test_fifty_copies_in_one_consumer_run_once_and_are_all_acked(
    bus: Bus, store: Store
) -> None:
    handler, metrics = Recorder(), Metrics("test")
    running = consumer(bus, store, handler, metrics)
    await running.start()
    try:
        event = change()
        await publish_copies(bus, event, 50)

        async def all_settled() -> bool:
            return sum(outcomes(metrics).values()) == 50

        # Every copy is acked: none is left holding a prefetch slot.
        await wait_for(all_settled, seconds=20)
        assert handler.runs[str(event.event_id)] == 1
        assert outcomes(metrics) == {"ok": 1, "duplicate": 49}
        assert await Inbox(store).seen(SPEC.name, str(event.event_id))
    finally:
        await running.stop(grace=5)


async def test_copies_spread_over_two_consumers_run_once(
    bus: Bus, second_bus: Bus, store: Store
) -> None:
    handler, metrics = Recorder(), Metrics("test")
    first = consumer(bus, store, handler, metrics)
    second = consumer(second_bus, store, handler, metrics)
    await first.start()
    await second.start()
    try:
        events = [change(str(n)) for n in range(10)]
        for event in events:
            await publish_copies(bus, event, 4)

        async def all_done() -> bool:
            counts = outcomes(metrics)
            done = counts.get("ok", 0) + counts.get("duplicate", 0)
            return done == 4 * len(events)

        await wait_for(all_done, seconds=30)
        assert all(handler.runs[str(e.event_id)] == 1 for e in events)
    finally:
        await first.stop(grace=5)
        await second.stop(grace=5)


async def test_a_live_claim_elsewhere_holds_the_copy_back_until_done(
    bus: Bus, store: Store
) -> None:
    inbox = Inbox(store)
    event = change()
    event_id = str(event.event_id)
    assert await inbox.claim(SPEC.name, event_id, "other-host:1:x") is Claim.TAKEN
    handler, metrics = Recorder(), Metrics("test")
    running = consumer(bus, store, handler, metrics)
    await running.start()
    try:
        await bus.publish(event)

        async def requeued() -> bool:
            return outcomes(metrics).get("busy", 0) >= 1

        await wait_for(requeued, seconds=10)
        assert handler.runs[event_id] == 0
        await inbox.mark(SPEC.name, event_id)  # the other process finished

        async def acked_as_duplicate() -> bool:
            return outcomes(metrics).get("duplicate", 0) == 1

        await wait_for(acked_as_duplicate, seconds=10)
        assert handler.runs[event_id] == 0
    finally:
        await running.stop(grace=5)


async def test_a_crashed_holders_claim_runs_out_and_the_message_is_handled(
    bus: Bus, store: Store
) -> None:
    event = change()
    event_id = str(event.event_id)
    # A holder on another host that stopped renewing its lease a while ago.
    await store.db[INBOX].insert_one(
        {
            "_id": f"{SPEC.name}:{event_id}",
            "at": datetime.now(UTC),
            "state": "running",
            "owner": "other-host:1:dead",
            "expires": to_stored(datetime.now(UTC) - timedelta(seconds=1)),
        }
    )
    handler, metrics = Recorder(), Metrics("test")
    running = consumer(bus, store, handler, metrics)
    await running.start()
    try:
        await bus.publish(event)

        async def handled() -> bool:
            return outcomes(metrics).get("ok", 0) == 1

        await wait_for(handled, seconds=10)
        assert handler.runs[event_id] == 1
        assert await Inbox(store).seen(SPEC.name, event_id)
    finally:
        await running.stop(grace=5)


async def test_a_claim_has_one_winner_and_renewal_keeps_it(store: Store) -> None:
    inbox = Inbox(store, lease=0.5)
    results = await asyncio.gather(
        *(inbox.claim("q", "e1", f"here:{n}:x") for n in range(10))
    )
    assert results.count(Claim.TAKEN) == 1
    owner = f"here:{results.index(Claim.TAKEN)}:x"
    await inbox.renew("q", ["e1"], owner)
    assert await inbox.claim("q", "e1", "another:2:y") is Claim.BUSY
    await inbox.release("q", "e1", owner)
    assert await inbox.claim("q", "e1", "another:2:y") is Claim.TAKEN
    await inbox.mark("q", "e1")
    assert await inbox.claim("q", "e1", "third:3:z") is Claim.DONE
    assert await inbox.seen("q", "e1")
