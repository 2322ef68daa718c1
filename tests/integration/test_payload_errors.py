"""A message whose payload fails its schema is dead-lettered on the first
attempt; a schema error on data that is not the message's (an API answer)
is retried. The consumer checks every payload against its kind's model
(common/payloads.py) before the handler runs. Real RabbitMQ, embedded
MongoDB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.inbox import Inbox
from common.messages import Envelope, Kind, WriteCommand
from common.payloads import FetchPayload
from common.records import Party
from common.store import Store
from tests.support import holds, wait_for

pytestmark = pytest.mark.integration

SPEC = QueueSpec(
    "payloads",
    tuple(
        f"{kind}.qbo.*" for kind in ("write", "poll", "fetch", "backfill", "command")
    ),
)


def envelope_of(
    kind: Kind, payload: dict[str, Any], entity: str = "customer"
) -> Envelope:
    return Envelope(
        kind=kind, tenant="acme", system="qbo", entity=entity, payload=payload
    )


def write(payload: dict[str, Any]) -> Envelope:
    return envelope_of("write", payload)


def poll(payload: dict[str, Any]) -> Envelope:
    """A carrier for payloads the handler reads by hand: a poll's model has no
    required field and ignores keys it does not know."""
    return envelope_of("poll", payload)


async def dead_letter_of(
    store: Store, bus: Bus, handler: Callable[[Envelope], Any], message: Envelope
) -> dict[str, Any]:
    dead_letters = DeadLetters(store, bus)
    consumer = Consumer(
        bus, SPEC, handler, inbox=Inbox(store), dead_letters=dead_letters
    )
    await consumer.start()
    try:
        await bus.publish(message)

        async def dead_lettered() -> bool:
            return await dead_letters.count() == 1

        await wait_for(dead_lettered, seconds=20)
    finally:
        await consumer.stop(grace=5)
    (record,) = await dead_letters.list()
    return record


async def parse_command(envelope: Envelope) -> Sequence[Envelope]:
    command = WriteCommand.model_validate(envelope.payload)
    Party.model_validate(command.record)
    return []


async def read_ids(envelope: Envelope) -> Sequence[Envelope]:
    return [envelope] * len(envelope.payload["ids"])


async def test_a_payload_failing_its_schema_is_dead_lettered_at_once(
    store: Store, bus: Bus
) -> None:
    bad = write({"record": {}, "idempotency_key": ""})  # key must not be empty
    record = await dead_letter_of(store, bus, parse_command, bad)
    assert record["attempts"] == 1
    assert record["error_class"] == "permanent"
    assert record["error_type"] == "ValidationError"


async def test_a_record_failing_its_schema_is_dead_lettered_at_once(
    store: Store, bus: Bus
) -> None:
    bad = write({"record": {"last_name": "X", "nickname": 3}, "idempotency_key": "k"})
    record = await dead_letter_of(store, bus, parse_command, bad)
    assert record["attempts"] == 1
    assert record["error_class"] == "permanent"


async def test_a_payload_missing_a_key_is_dead_lettered_at_once(
    store: Store, bus: Bus
) -> None:
    record = await dead_letter_of(store, bus, read_ids, poll({"forced": True}))
    assert record["attempts"] == 1
    assert record["error_type"] == "KeyError"


async def test_an_api_answer_failing_a_schema_is_retried(
    store: Store, bus: Bus
) -> None:
    async def parse_answer(envelope: Envelope) -> Sequence[Envelope]:
        answer = {"Id": "7", "FamilyName": 7}  # what the API sent back
        Party.model_validate({"last_name": answer["FamilyName"]})
        return []

    record = await dead_letter_of(store, bus, parse_answer, poll({}))
    assert record["attempts"] == bus.settings.bus_max_attempts
    assert record["error_class"] == "retriable"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (envelope_of("fetch", {"ids": "7", "source": "webhook"}), "ids"),
        (envelope_of("command", {"action": "resync"}, entity="*"), "action"),
        (envelope_of("backfill", {"since": "last spring", "run_id": "r1"}), "since"),
        (write({"record": {}, "idempotency_key": ""}), "idempotency_key"),
    ],
    ids=[
        "fetch-ids-not-a-list",
        "command-unknown-action",
        "backfill-bad-since",
        "write",
    ],
)
async def test_a_payload_not_fitting_its_kind_is_dead_lettered_before_the_handler(
    store: Store, bus: Bus, bad: Envelope, field: str
) -> None:
    handled: list[Envelope] = []

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        handled.append(envelope)
        return []

    record = await dead_letter_of(store, bus, handler, bad)
    assert handled == []
    assert record["attempts"] == 1
    assert record["error_class"] == "permanent"
    assert record["error_type"] == "ValidationError"
    assert f"\n{field}" in record["reason"], record["reason"]
    assert record["routing_key"] == bad.routing_key
    assert Envelope.from_bytes(record["body"].encode()) == bad  # replayable as sent


async def test_a_payload_fitting_its_kind_reaches_the_handler_parsed(
    store: Store, bus: Bus
) -> None:
    seen: list[FetchPayload] = []

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        seen.append(envelope.payload_as(FetchPayload))
        return []

    dead_letters = DeadLetters(store, bus)
    consumer = Consumer(
        bus, SPEC, handler, inbox=Inbox(store), dead_letters=dead_letters
    )
    await consumer.start()
    try:
        await bus.publish(
            envelope_of("fetch", {"ids": ["7", "8"], "source": "webhook"})
        )
        await wait_for(lambda: holds(len(seen) == 1), seconds=20)
    finally:
        await consumer.stop(grace=5)
    assert seen == [FetchPayload(ids=["7", "8"], source="webhook")]
    assert await dead_letters.count() == 0
