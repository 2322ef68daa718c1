"""The redelivery check, written once (``context.redelivery``): the input
that stored a link's outbox gets that outbox back, verbatim; any other input
is decided. Each handler that commits a link goes through it."""

from __future__ import annotations

import uuid

import pytest

from common.connection_settings import ConnectionSettings
from common.messages import Envelope
from services.matcher.context import Context, redelivery
from services.matcher.letters import MemoryLetters
from services.matcher.memory import InMemoryRepository
from services.matcher.model import Link, Outbox
from tests.matcher.harness import Harness, command_of, contact, writes

pytestmark = pytest.mark.unit


def context_for(event_id: uuid.UUID) -> Context:
    env = Envelope(
        event_id=event_id,
        kind="change",
        tenant="t",
        system="crm",
        entity="contact",
        external_id="c1",
    )
    return Context(env, InMemoryRepository(), ConnectionSettings(), MemoryLetters())


def test_only_the_input_that_stored_the_outbox_gets_it_back() -> None:
    ctx = context_for(uuid.uuid4())
    sent = ctx.fetch("crm", "account", "a1")
    link = Link(id="L", tenant="t", kind="contact", outbox=ctx.outbox([sent]))

    assert redelivery(ctx, link) == [sent]
    assert redelivery(context_for(uuid.uuid4()), link) is None
    assert redelivery(ctx, link.model_copy(update={"outbox": None})) is None
    assert redelivery(ctx, None) is None


def test_an_input_that_sent_nothing_is_still_a_redelivery() -> None:
    ctx = context_for(uuid.uuid4())
    quiet = Link(id="L", tenant="t", kind="contact", outbox=Outbox(event=ctx.event))
    assert redelivery(ctx, quiet) == []  # not None: nothing is decided again


async def synced_pair(h: Harness) -> None:
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    await h.send(h.written(create, "q1", seq=0))


async def test_a_redelivered_delete_sends_the_same_deactivation(
    harness: Harness,
) -> None:
    h = harness
    await synced_pair(h)
    delete = h.change("crm", "contact", "c1", deleted=True)
    [first] = writes(await h.send(delete))
    [again] = writes(await h.send(delete))  # the bus crashed before its ack
    assert again.event_id == first.event_id
    assert command_of(again) == command_of(first)
    assert command_of(again).deactivate is True


async def test_a_redelivered_void_sends_the_same_status(harness: Harness) -> None:
    h = harness
    await synced_pair(h)
    [create] = writes(await h.send(h.change("crm", "product", "p1", {"name": "W"})))
    await h.send(h.written(create, "i1"))
    doc = {"kind": "invoice", "party_id": "c1", "lines": [{"product_id": "p1"}]}
    [create] = writes(await h.send(h.change("crm", "invoice", "inv1", doc)))
    await h.send(h.written(create, "qi1", seq=0))
    void = h.change("qbo", "invoice", "qi1", {"kind": "invoice", "voided": True}, seq=1)
    [first] = writes(await h.send(void))
    [again] = writes(await h.send(void))
    assert again.event_id == first.event_id
    assert command_of(again).record["status"] == "Cancelled"
