"""A message whose payload fails its schema is dead-lettered on the first
attempt; a schema error on data that is not the message's (an API answer)
is retried. Real RabbitMQ, embedded MongoDB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.inbox import Inbox
from common.messages import Envelope, WriteCommand
from common.records import Party
from common.store import Store
from tests.support import wait_for

pytestmark = pytest.mark.integration

SPEC = QueueSpec("payloads", ("write.qbo.*",))


def write(payload: dict[str, Any]) -> Envelope:
    return Envelope(
        kind="write", tenant="acme", system="qbo", entity="customer", payload=payload
    )


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
    record = await dead_letter_of(store, bus, read_ids, write({"forced": True}))
    assert record["attempts"] == 1
    assert record["error_type"] == "KeyError"


async def test_an_api_answer_failing_a_schema_is_retried(
    store: Store, bus: Bus
) -> None:
    async def parse_answer(envelope: Envelope) -> Sequence[Envelope]:
        answer = {"Id": "7", "FamilyName": 7}  # what the API sent back
        Party.model_validate({"last_name": answer["FamilyName"]})
        return []

    record = await dead_letter_of(store, bus, parse_answer, write({"ids": ["7"]}))
    assert record["attempts"] == bus.settings.bus_max_attempts
    assert record["error_class"] == "retriable"
