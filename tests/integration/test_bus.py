"""The bus against the real RabbitMQ and the embedded MongoDB-wire server."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from collections.abc import Sequence

import pytest

from common.bus import (
    Bus,
    Consumer,
    DeadLetters,
    QueueSpec,
    UnroutableError,
)
from common.bus.topology import RETIRED_QUEUES
from common.errors import PermanentError, RetriableError
from common.inbox import Inbox
from common.messages import Envelope, WriteCommand
from common.payloads import ChangePayload
from common.settings import Settings
from common.store import Store
from services.matcher.backlogs import BusBacklogs
from tests.support import holds, wait_for

pytestmark = pytest.mark.integration

SPEC = QueueSpec("testq", ("change.crm.*",))


def change(external_id: str = "1") -> Envelope:
    return Envelope(
        kind="change",
        tenant="acme",
        system="crm",
        entity="contact",
        external_id=external_id,
        payload={"record": {"email": f"{external_id}@example.com"}},
    )


def consumer_for(bus: Bus, store: Store, handler) -> Consumer:
    return Consumer(
        bus,
        SPEC,
        handler,
        inbox=Inbox(store),
        dead_letters=DeadLetters(store, bus),
    )


async def test_publish_consume_ack_with_confirms(bus: Bus, store: Store) -> None:
    seen: list[Envelope] = []

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        seen.append(envelope)
        return []

    consumer = consumer_for(bus, store, handler)
    await consumer.start()
    sent = [change(str(i)) for i in range(20)]
    await bus.publish_many(sent)

    async def all_seen() -> bool:
        return len(seen) == 20

    await wait_for(all_seen)
    await consumer.stop()
    assert sorted(e.event_id for e in seen) == sorted(e.event_id for e in sent)
    assert seen[0].payload == sent[0].payload or seen[0] in sent
    # Everything acked: nothing is left on the queue.
    assert await bus.queue_depth(bus.names.queue(SPEC.name)) == 0


async def test_unroutable_publish_raises(bus: Bus) -> None:
    # No queue is bound to write.qbo.* in this test's own exchange.
    orphan = change().model_copy(
        update={"kind": "write", "system": "qbo", "entity": "item"}
    )
    with pytest.raises(UnroutableError):
        await bus.publish(orphan)


async def test_transient_failures_are_retried_with_delay_and_handled_once(
    bus: Bus, store: Store
) -> None:
    attempts: list[tuple[int, float]] = []
    effects: Counter[str] = Counter()
    loop = asyncio.get_running_loop()

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        attempts.append((envelope.attempt, loop.time()))
        if len(attempts) <= 2:
            raise RetriableError("QBO answered 503")
        effects[str(envelope.event_id)] += 1
        return []

    consumer = consumer_for(bus, store, handler)
    await consumer.start()
    await bus.publish(change())

    async def handled() -> bool:
        return sum(effects.values()) == 1

    await wait_for(handled)
    await asyncio.sleep(1.0)  # would a stray extra delivery show up?
    await consumer.stop()
    assert [attempt for attempt, _ in attempts] == [1, 2, 3]
    assert list(effects.values()) == [1]
    delays = [b - a for (_, a), (_, b) in itertools.pairwise(attempts)]
    # bus_retry_delays = (0.2, 0.4, 0.8) in the test settings: growing waits.
    assert delays[0] >= 0.18
    assert delays[1] >= 0.38
    assert await DeadLetters(store, bus).count() == 0


async def test_permanent_failure_dead_letters_at_once_then_replay_and_discard(
    bus: Bus, store: Store
) -> None:
    fixed = asyncio.Event()
    calls: Counter[str] = Counter()

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        calls[envelope.external_id or ""] += 1
        if not fixed.is_set():
            raise PermanentError(f"missing email on contact {envelope.external_id}")
        return []

    dead_letters = DeadLetters(store, bus)
    consumer = consumer_for(bus, store, handler)
    await consumer.start()
    await bus.publish(change("a"))
    await bus.publish(change("b"))

    async def two_dead() -> bool:
        return await dead_letters.count(tenant="acme") == 2

    await wait_for(two_dead)
    assert calls == {"a": 1, "b": 1}  # at once: no retries for permanent errors
    records = await dead_letters.list(tenant="acme", entity="contact")
    by_id = {record["external_id"]: record for record in records}
    record = by_id["a"]
    assert record["reason"] == "missing email on contact a"
    assert record["error_class"] == "permanent"
    assert record["error_type"] == "PermanentError"
    assert record["attempts"] == 1
    assert record["routing_key"] == "change.crm.contact"
    assert record["first_failed_at"] <= record["last_failed_at"]

    async def both_archived() -> bool:  # the archive copy lands on its own
        return await bus.queue_depth(bus.names.dead_letters) == 2

    await wait_for(both_archived, 10)

    fixed.set()
    assert await dead_letters.replay(record["_id"])
    await wait_for(lambda: holds(calls["a"] == 2))
    assert await dead_letters.get(record["_id"]) is None

    assert await dead_letters.discard(by_id["b"]["_id"])
    assert await dead_letters.count(tenant="acme") == 0
    await asyncio.sleep(0.5)
    assert calls["b"] == 1  # discarded: never handled again
    await consumer.stop()


async def test_transient_failure_dead_letters_after_the_cap_and_replay_matching(
    bus: Bus, store: Store
) -> None:
    healthy = asyncio.Event()
    handled: list[str] = []

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        if not healthy.is_set():
            raise RetriableError("Zoho answered 500")
        handled.append(envelope.external_id or "")
        return []

    dead_letters = DeadLetters(store, bus)
    consumer = consumer_for(bus, store, handler)
    await consumer.start()
    await bus.publish_many([change("x"), change("y")])

    async def both_dead() -> bool:
        return await dead_letters.count(error_class="retriable") == 2

    await wait_for(both_dead, seconds=20)
    record = (await dead_letters.list())[0]
    assert record["attempts"] == bus.settings.bus_max_attempts
    assert record["reason"].startswith(f"gave up after {bus.settings.bus_max_attempts}")
    assert record["first_failed_at"] < record["last_failed_at"]

    healthy.set()
    assert await dead_letters.replay_matching(tenant="acme", entity="contact") == 2
    await wait_for(lambda: holds(sorted(handled) == ["x", "y"]))
    assert await dead_letters.count() == 0
    await consumer.stop()


async def test_duplicate_delivery_is_handled_once(bus: Bus, store: Store) -> None:
    calls: list[str] = []

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        calls.append(str(envelope.event_id))
        return []

    consumer = consumer_for(bus, store, handler)
    await consumer.start()
    event = change()
    await bus.publish(event)
    await wait_for(lambda: holds(len(calls) == 1))
    await bus.publish(event)  # the same event id again, as a redelivery would be
    await asyncio.sleep(0.5)
    await consumer.stop()
    assert calls == [str(event.event_id)]


async def test_handler_outputs_are_published_before_the_ack(
    bus: Bus, store: Store
) -> None:
    out_spec = QueueSpec("outq", ("write.qbo.*",))
    received: list[Envelope] = []

    async def first(envelope: Envelope) -> Sequence[Envelope]:
        command = WriteCommand(
            record=envelope.payload_as(ChangePayload).record, idempotency_key="w"
        )
        return [
            envelope.caused(
                key="w",
                kind="write",
                system="qbo",
                entity="customer",
                payload=command.model_dump(mode="json"),
            )
        ]

    async def second(envelope: Envelope) -> Sequence[Envelope]:
        received.append(envelope)
        return []

    consumer = consumer_for(bus, store, first)
    downstream = Consumer(
        bus, out_spec, second, inbox=Inbox(store), dead_letters=DeadLetters(store, bus)
    )
    await downstream.start()
    await consumer.start()
    source = change()
    await bus.publish(source)
    await wait_for(lambda: holds(len(received) == 1))
    await consumer.stop()
    await downstream.stop()
    assert received[0].causation_id == source.event_id
    assert received[0].correlation_id == source.correlation_id
    assert received[0].routing_key == "write.qbo.customer"


async def test_quorum_queues_retry_and_dead_letter_too(
    settings: Settings, store: Store
) -> None:
    quorum = settings.model_copy(update={"bus_queue_type": "quorum"})
    bus = Bus(quorum)
    await bus.connect()
    attempts: list[int] = []

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        attempts.append(envelope.attempt)
        if envelope.attempt < 2:
            raise RetriableError("try again")
        raise PermanentError("refused by the target")

    consumer = consumer_for(bus, store, handler)
    await consumer.start()
    try:
        await bus.publish(change())
        dead = DeadLetters(store, bus)
        await wait_for(lambda: dead_count_is(dead, 1))
        assert attempts == [1, 2]
    finally:
        await consumer.stop()
        await bus.close()


async def dead_count_is(dead: DeadLetters, count: int) -> bool:
    return await dead.count() == count


async def test_a_handlers_log_lines_carry_the_message_context(
    bus: Bus, store: Store
) -> None:
    import io
    import json
    from contextlib import redirect_stderr

    import structlog

    from common.logging import configure_logging

    buffer = io.StringIO()
    handled = asyncio.Event()

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        structlog.get_logger("handler").info("doing_the_work")
        handled.set()
        return []

    with redirect_stderr(buffer):
        configure_logging("matcher", "INFO", "json")
        consumer = consumer_for(bus, store, handler)
        await consumer.start()
        event = change("ctx")
        await bus.publish(event)
        await asyncio.wait_for(handled.wait(), 10)
        await consumer.stop()
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    (work,) = [line for line in lines if line["event"] == "doing_the_work"]
    assert work["service"] == "matcher"
    assert work["tenant"] == "acme"
    assert work["event_id"] == str(event.event_id)
    assert work["correlation_id"] == str(event.correlation_id)
    assert work["attempt"] == 1


async def test_backlogs_count_the_writes_ready_in_a_tenants_queue(bus: Bus) -> None:
    backlogs = BusBacklogs(bus)
    # No such queue yet: nothing waits (the sweep may re-send).
    assert await backlogs.waiting("qbo", "nobody", "bulk") == 0
    write = Envelope(
        kind="write",
        tenant="acme",
        system="qbo",
        entity="customer",
        external_id=None,
        lane="bulk",
        payload={},
    )
    await bus.publish(write)  # declares the tenant's bulk-write queue
    await bus.publish(write.model_copy(update={"event_id": uuid.uuid4()}))
    assert await backlogs.waiting("qbo", "acme", "bulk") == 2
    assert await backlogs.waiting("qbo", "other", "bulk") == 0


def bulk_change(tenant: str) -> Envelope:
    return change().model_copy(update={"tenant": tenant, "lane": "bulk"})


async def test_a_bulk_change_reaches_its_tenants_matcher_queue_only(
    bus: Bus,
) -> None:
    await bus.publish(bulk_change("acme"))  # declares acme's matcher bulk queue
    await bus.publish(bulk_change("other.eu"))
    await bus.publish(bulk_change("other.eu"))
    names = [bus.names.queue(f"matcher.bulk.{t}") for t in ("acme", "other.eu")]
    counts = await bus.queue_counts(names)
    assert [counts[name] for name in names] == [(1, 0), (2, 0)]


async def test_a_retired_queue_is_unbound_and_keeps_what_it_held(bus: Bus) -> None:
    (old,) = RETIRED_QUEUES["matcher"]
    assert not await bus.retire_queue(old)  # never declared: nothing to do
    await bus.declare_queue(old)  # as an earlier version left it
    await bus.publish(bulk_change("acme"))
    name = bus.names.queue(old.name)
    assert (await bus.queue_counts([name]))[name] == (1, 0)
    assert await bus.retire_queue(old)
    await bus.publish(bulk_change("acme"))
    # The new change went to the tenant's queue alone (the first reached
    # both: this publisher declared the tenant's queue); the old one is kept.
    tenants = bus.names.queue("matcher.bulk.acme")
    counts = await bus.queue_counts([name, tenants])
    assert (counts[name], counts[tenants]) == ((1, 0), (2, 0))
