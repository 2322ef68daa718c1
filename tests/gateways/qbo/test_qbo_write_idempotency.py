"""A create whose idempotency key was already applied resolves to the record
it made: copies in one batch, in later batches, delivered at the same moment,
and after a crash between claiming a create and sending it. Never a
"Name (2)" second customer. The gateway in-process, the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from common.messages import Envelope, WriteOutcome
from common.records import Party
from services.qbo_gateway.create_claims import CREATE_CLAIMS

from .conftest import TENANT, Running, Sandbox
from .test_qbo_writes import outcome, write, written_for

pytestmark = pytest.mark.integration


def create(name: str, key: str) -> Envelope:
    # No email, so no match key: the live re-check cannot find the first copy
    # and only the idempotency key can tell the copies apart from new records.
    first, last = name.split(" ")
    return write("customer", Party(first_name=first, last_name=last), key)


def copy_of(envelope: Envelope) -> Envelope:
    """The same command under another event id (another delivery path)."""
    return envelope.model_copy(update={"event_id": uuid.uuid4()})


def names(customers: list[dict[str, Any]]) -> list[str]:
    return sorted(str(c["DisplayName"]) for c in customers)


async def test_two_copies_in_one_batch_make_one_customer(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    first = create("Ada Lovelace", "key-ada")
    sent = [first, copy_of(first)]
    await running.bus.publish_many(sent)
    written = await written_for(running, sent)
    assert names(await qbo_sandbox.records("Customer")) == ["Ada Lovelace"]
    assert {w.external_id for w in written} == {written[0].external_id}
    assert all(outcome(w).ok for w in written)


async def test_a_copy_in_a_later_batch_resolves_to_the_same_customer(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    first = create("Grace Hopper", "key-grace")
    await running.bus.publish(first)
    (before,) = await written_for(running, [first])
    # The copy comes back in a batch of another make-up (so another batch
    # requestid) beside a new record.
    again, other = copy_of(first), create("Alan Turing", "key-alan")
    await running.bus.publish_many([again, other])
    after, _ = await written_for(running, [again, other])
    assert outcome(after).ok
    assert after.external_id == before.external_id
    customers = await qbo_sandbox.records("Customer")
    assert names(customers) == ["Alan Turing", "Grace Hopper"]


async def test_twenty_writes_delivered_twice_at_once_make_twenty_customers(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    sent = [create(f"Person Number{n}", f"key-{n}") for n in range(20)]
    # A dead-letter replay run twice at the same moment: the same messages,
    # same event ids, twice.
    await asyncio.gather(running.bus.publish_many(sent), running.bus.publish_many(sent))
    written = await written_for(running, sent)
    assert all(outcome(w).ok for w in written)
    customers = await qbo_sandbox.records("Customer")
    assert names(customers) == sorted(f"Person Number{n}" for n in range(20))


async def test_a_create_claimed_by_a_request_that_never_went_out_is_made_once(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    # A gateway claimed the create for its batch request, then crashed before
    # sending it. The redelivered command replays that request: made once.
    store = running.runner.context.store if running.runner.context else None
    assert store is not None
    await store.db[CREATE_CLAIMS].insert_one(
        {
            "_id": f"{TENANT}:key-crash",
            "tenant": TENANT,
            "request_id": uuid.uuid4().hex,
            "bid": "b7",
            "item": {
                "operation": "create",
                "Customer": {
                    "DisplayName": "Linus Window",
                    "GivenName": "Linus",
                    "FamilyName": "Window",
                },
            },
        }
    )
    command = create("Linus Window", "key-crash")
    await running.bus.publish(command)
    (written,) = await written_for(running, [command])
    result = WriteOutcome.model_validate(written.payload)
    assert result.ok
    customers = await qbo_sandbox.records("Customer")
    assert names(customers) == ["Linus Window"]
    assert written.external_id == str(customers[0]["Id"])
