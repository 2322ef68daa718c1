"""Dead letters a person can act on: one open letter per record and cause,
naming the record as the person knows it, closing by itself once the record
syncs, and a replay that never loses a fresh failure. Real RabbitMQ, the
embedded store, the real matcher."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.errors import PermanentError
from common.gateway.refusals import Refusals, Refused
from common.inbox import Inbox
from common.messages import Envelope, Version, WriteOutcome
from common.settings import Settings
from common.store import Store
from common.subjects import Subject
from services.admin.syncctl import run
from services.matcher.bootstrap import bootstrap
from tests.support import holds, wait_for

pytestmark = pytest.mark.integration

SPEC = QueueSpec("letters", ("change.crm.*", "written.qbo.*"))
TENANT = "acme"


def change(external_id: str, source: str, email: str | None = None) -> Envelope:
    """The same record's change as the webhook and as the poll publish it:
    different event ids, same record."""
    record = {"first_name": "Ann", "last_name": "Lee", "email": email}
    return Envelope(
        kind="change",
        tenant=TENANT,
        system="crm",
        entity="contact",
        external_id=external_id,
        version=Version(updated_at=datetime(2025, 1, 1, tzinfo=UTC)),
        payload={"record": record, "source": source},
    )


def item_refused() -> Envelope:
    """QBO's answer to the item create made from a Zoho product: no id."""
    outcome = WriteOutcome(
        ok=False,
        idempotency_key="k1",
        error_class="permanent",
        reason="Duplicate Name Exists Error",
    )
    return Envelope(
        kind="written",
        tenant=TENANT,
        system="qbo",
        entity="item",
        payload=outcome.model_dump(mode="json"),
    )


@pytest.fixture
async def failing(bus: Bus, store: Store) -> AsyncIterator[list[Envelope]]:
    """A consumer whose handler refuses everything (the matcher's way for a
    ``written.qbo.item``: naming the Zoho product it was made from)."""
    seen: list[Envelope] = []

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        seen.append(envelope)
        if envelope.kind == "written":
            raise PermanentError(
                "QBO refused the item write: Duplicate Name Exists Error",
                subject=Subject("crm", "product", "p1", "Widget"),
            )
        raise PermanentError("missing email")

    consumer = Consumer(
        bus, SPEC, handler, inbox=Inbox(store), dead_letters=DeadLetters(store, bus)
    )
    await consumer.start()
    yield seen
    await consumer.stop()


async def letters(store: Store) -> list[dict[str, Any]]:
    return await store.db["dead_letters"].find({}).to_list(None)


async def test_one_record_failing_again_and_again_is_one_open_letter(
    bus: Bus, store: Store, failing: list[Envelope]
) -> None:
    webhook, poll = change("c1", "webhook"), change("c1", "poll")
    await bus.publish(webhook)
    await wait_for(lambda: holds(len(failing) == 1))
    await wait_for(lambda: letters_counted(store, 1))
    first = (await letters(store))[0]
    for n in range(3):  # every poll reads the refused record again
        await bus.publish(poll.model_copy(update={"event_id": uuid.uuid4()}))
        await wait_for(partial(letters_counted, store, n + 2))
    await wait_for(lambda: letters_counted(store, 4))

    [letter] = await letters(store)
    assert (letter["system"], letter["entity"], letter["external_id"]) == (
        "crm",
        "contact",
        "c1",
    )
    assert letter["label"] == "Ann Lee"
    assert letter["occurrences"] == 4
    assert letter["first_failed_at"] == first["first_failed_at"]
    assert letter["last_failed_at"] > first["last_failed_at"]
    assert Envelope.from_bytes(letter["body"].encode()).payload["source"] == "poll"


async def letters_counted(store: Store, occurrences: int) -> bool:
    found = await letters(store)
    return len(found) == 1 and found[0].get("occurrences") == occurrences


async def test_a_letter_names_the_record_the_person_edited(
    bus: Bus,
    store: Store,
    settings: Settings,
    failing: list[Envelope],
    capsys: pytest.CaptureFixture[str],
) -> None:
    await bus.publish(item_refused())
    await bus.publish(item_refused())  # the same refusal, another message
    await wait_for(lambda: letters_counted(store, 2))

    dead = DeadLetters(store, bus)
    [letter] = await dead.list(tenant=TENANT, entity="product")
    assert (letter["system"], letter["external_id"], letter["label"]) == (
        "crm",
        "p1",
        "Widget",
    )
    assert letter["routing_key"] == "written.qbo.item"  # where it failed
    assert await dead.list(tenant=TENANT, entity="item") == []

    assert await run(["dead-letters", "list", "--entity", "product"], settings) == 0
    out = capsys.readouterr().out
    assert "crm product p1 (Widget)" in out
    assert "Duplicate Name Exists Error" in out
    assert "2x since" in out
    assert await run(["dead-letters", "list", "--system", "qbo"], settings) == 0
    assert "0 shown of 0 dead letters" in capsys.readouterr().out


async def test_the_letter_closes_when_the_matcher_decides_the_record(
    bus: Bus, store: Store, failing: list[Envelope]
) -> None:
    await bus.publish(change("c1", "webhook"))
    await wait_for(lambda: letters_counted(store, 1))
    gateway = Refusals(DeadLetters(store, bus), "crm_gateway.tasks")
    await gateway.record(
        change("c2", "poll"), [Refused("c2", "Zoho Contacts c2 cannot be translated")]
    )
    assert len(await letters(store)) == 2

    matcher = await bootstrap(store)
    await matcher.handle(change("c1", "webhook", email="ann@example.com"))
    await matcher.handle(change("c2", "fetch", email="bo@example.com"))
    assert await letters(store) == []


class ConfirmsLate(Bus):
    """A broker whose confirm of a replay comes only after the replayed
    message has failed again (the race a replay must survive)."""

    def __init__(self, settings: Settings, store: Store) -> None:
        super().__init__(settings)
        self.store = store

    async def publish_raw(self, body: bytes, **kwargs: Any) -> None:
        await super().publish_raw(body, **kwargs)
        if (kwargs.get("headers") or {}).get("x-replayed"):
            before = await letters(self.store)
            await wait_for(lambda: failed_again(self.store, before))


async def failed_again(store: Store, before: list[dict[str, Any]]) -> bool:
    now = await letters(store)
    return bool(now) and now[0]["last_failed_at"] > before[0]["last_failed_at"]


async def test_a_replay_that_fails_again_keeps_its_letter(
    settings: Settings, bus: Bus, store: Store, failing: list[Envelope]
) -> None:
    await bus.publish(change("c1", "webhook"))
    await wait_for(lambda: letters_counted(store, 1))
    [letter] = await letters(store)

    late = ConfirmsLate(settings, store)
    await late.connect()
    try:
        assert await DeadLetters(store, late).replay(letter["_id"])
    finally:
        await late.close()
    await asyncio.sleep(0.3)
    [kept] = await letters(store)  # the fresh failure, not deleted
    assert kept["_id"] == letter["_id"]
    assert kept["last_failed_at"] > letter["last_failed_at"]
    assert len(failing) == 2


async def test_a_gateway_refusal_replayed_twice_is_read_twice(
    bus: Bus, store: Store
) -> None:
    """Each refusal's fetch has its own id: the gateway's inbox has done the
    first replay's fetch, so the second replay must not reuse its id."""
    await bus.declare_service_queues("qbo_gateway")
    dead = DeadLetters(store, bus)
    gateway = Refusals(dead, "qbo_gateway.tasks")
    poll = Envelope(kind="poll", tenant=TENANT, system="qbo", entity="invoice")
    bodies = []
    for _ in range(2):  # refused, replayed, refused again when read, replayed
        await gateway.record(poll, [Refused("77", "QBO Invoice 77 cannot be read")])
        [letter] = await dead.list(tenant=TENANT, entity="invoice")
        bodies.append(Envelope.from_bytes(letter["body"].encode()))
        assert await dead.replay(letter["_id"])
    first, second = bodies
    assert (first.kind, first.external_id) == ("fetch", "77")
    assert first.event_id != second.event_id
    assert await bus.queue_depth(bus.names.queue("qbo_gateway.tasks")) == 2
