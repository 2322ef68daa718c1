"""A record that failed or was refused is never stuck: its next change, a
forced sync or the replay of its dead letter decides it again, and the error
names the record a person edited (its dead letter's subject)."""

from __future__ import annotations

import pytest

from common.errors import PermanentError
from common.messages import Envelope
from common.subjects import Subject
from services.matcher.letters import MemoryLetters
from services.matcher.model import Link
from tests.matcher.harness import (
    TENANT,
    Harness,
    command_of,
    contact,
    customer,
    data_writes,
    writes,
)

pytestmark = pytest.mark.unit


async def refused(h: Harness, envelope: Envelope) -> PermanentError:
    with pytest.raises(PermanentError) as raised:
        await h.send(envelope)
    return raised.value


async def clashed_create(h: Harness) -> tuple[PermanentError, Envelope]:
    """QBO customers 63 and 64 share an email: both become CRM contact
    creates before either echo is back; Zoho's live re-check finds the first
    contact for the second create, which is linked already to 63."""
    [first] = writes(await h.send(h.change("qbo", "customer", "63", customer(), seq=0)))
    bea = customer(first_name="Bea", display_name="Bea Two")
    [second] = writes(await h.send(h.change("qbo", "customer", "64", bea, seq=0)))
    await h.send(h.written(first, "c1"))
    failure = h.written(second, "c1")
    return await refused(h, failure), failure


@pytest.mark.parametrize("how", ["change", "force_sync"])
async def test_a_create_that_clashed_is_decided_again(
    any_harness: Harness, how: str
) -> None:
    h = any_harness
    error, _ = await clashed_create(h)
    assert "linked already to QBO customer 63" in error.reason
    assert error.subject == Subject(
        "qbo", "customer", "64", "Bea Two <ann@example.com>"
    )
    mirror = await h.repo.mirror(TENANT, "qbo", "customer", "64")
    assert mirror is not None
    assert (mirror.state, mirror.reason) == ("failed", error.reason)
    assert await h.repo.link_of(TENANT, "contact", "qbo", "64") is None

    # The person makes the email unique in QBO; the change (or the re-read a
    # forced sync asks for) decides the customer again: a contact of its own.
    unique = customer("bea@example.com", first_name="Bea", display_name="Bea Two")
    if how == "force_sync":
        [fetch] = await h.send(h.command("qbo", "customer", "64"))
        assert fetch.routing_key == "fetch.qbo.customer"
    [create] = writes(
        await h.send(h.change("qbo", "customer", "64", unique, seq=1)),
        "write.crm.contact",
    )
    assert create.external_id is None
    assert command_of(create).record["email"] == "bea@example.com"
    await h.send(h.written(create, "c2"))
    assert await h.linked("contact", "qbo", "64") == "c2"
    mirror = await h.repo.mirror(TENANT, "qbo", "customer", "64")
    assert mirror is not None
    assert mirror.state == "seen"


async def test_a_failed_link_stored_before_does_not_block_the_record(
    any_harness: Harness,
) -> None:
    """Links stored by the old code for a clashed create (state failed, one
    side only) are decided afresh, not taken for a create in flight."""
    h = any_harness
    await h.repo.save_link(
        Link(
            id=f"{TENANT}|contact|qbo|64",
            tenant=TENANT,
            kind="contact",
            qbo_id="64",
            state="failed",
            reason="CRM contact c1 is linked already to QBO customer 63",
        )
    )
    out = await h.send(h.change("qbo", "customer", "64", customer("b@x.com"), seq=1))
    [create] = writes(out, "write.crm.contact")
    await h.send(h.written(create, "c2"))
    assert await h.linked("contact", "qbo", "64") == "c2"


async def test_replaying_a_refused_write_decides_its_record_again(
    any_harness: Harness,
) -> None:
    """QBO refused the item for a Zoho product (a duplicate name); the person
    renames the other item in QBO and replays the dead letter."""
    h = any_harness
    [create] = writes(await h.send(h.change("crm", "product", "p1", {"name": "W"})))
    failure = h.written(create, ok=False, reason="Duplicate Name Exists Error")
    error = await refused(h, failure)
    assert error.subject == Subject("crm", "product", "p1", "W")
    assert "Duplicate Name Exists" in error.reason

    [again] = writes(await h.send(failure), "write.qbo.item")  # the replay
    assert again.external_id is None
    assert command_of(again).idempotency_key != command_of(create).idempotency_key
    await h.send(h.written(again, "i9"))
    assert await h.linked("product", "crm", "p1") == "i9"


async def test_a_refused_update_is_sent_again_never_undone(
    any_harness: Harness,
) -> None:
    h = any_harness
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    await h.send(h.written(create, "q1", seq=0))
    await h.send(h.change("qbo", "customer", "q1", customer(), seq=0))  # the echo
    [update] = data_writes(
        await h.send(h.change("crm", "contact", "c1", contact(phone="111")))
    )
    error = await refused(h, h.written(update, ok=False, reason="Invalid phone"))
    assert error.subject is not None
    assert (error.subject.system, error.subject.external_id) == ("crm", "c1")

    # The cause is fixed in QBO; the person's next edit (the mobile) carries
    # the phone again, and nothing writes the old phone back over the contact.
    out = await h.send(
        h.change("crm", "contact", "c1", contact(phone="111", mobile="9"))
    )
    [again] = data_writes(out)
    assert again.routing_key == "write.qbo.customer"
    assert command_of(again).record["phone"] == "111"
    assert set(command_of(again).fields) == {"phone", "mobile"}


async def test_a_refused_contact_is_decided_again_by_a_force_sync(
    any_harness: Harness,
) -> None:
    h = any_harness
    await h.send(h.change("qbo", "customer", "12", customer(), seq=0))
    await h.send(h.change("qbo", "customer", "57", customer(), seq=0))
    version = h.at()
    error = await refused(h, h.change("crm", "contact", "c1", contact(), at=version))
    assert error.subject == Subject("crm", "contact", "c1", "Ann Lee <ann@example.com>")
    await h.send(h.change("qbo", "customer", "57", customer("other@x.com"), seq=1))

    await h.send(h.command("crm", "contact", "c1"))
    # The re-read is the same version the refusal saw: decided again anyway.
    await h.send(h.change("crm", "contact", "c1", contact(), at=version))
    assert await h.linked("contact", "crm", "c1") == "12"


async def test_a_refused_contact_is_decided_again_by_its_next_change(
    any_harness: Harness,
) -> None:
    h = any_harness
    await refused(h, h.change("crm", "contact", "c1", contact(email=None)))
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    assert create.routing_key == "write.qbo.customer"


async def test_a_record_decided_closes_its_dead_letters(harness: Harness) -> None:
    h = harness
    letters = h.matcher.letters
    assert isinstance(letters, MemoryLetters)
    await refused(h, h.change("crm", "contact", "c1", contact(email=None)))
    assert letters.closed == []  # refused: its letter stays open
    await h.send(h.change("crm", "contact", "c1", contact()))
    assert letters.closed == [(TENANT, "crm", "contact", "c1")]


async def test_a_record_inactive_before_it_ever_synced_is_not_created(
    any_harness: Harness,
) -> None:
    """Soak seed 142: a QBO customer deleted (made inactive) before the sync
    could create its contact became a create of an inactive record, which
    Zoho cannot hold. Nothing is made for it; made active again, it is
    decided afresh."""
    h = any_harness
    gone = customer(active=False)
    assert await h.send(h.change("qbo", "customer", "70", gone, seq=1)) == []
    assert await h.repo.link_of(TENANT, "contact", "qbo", "70") is None

    back = writes(
        await h.send(h.change("qbo", "customer", "70", customer(active=True), seq=2)),
        "write.crm.contact",
    )
    assert [w.external_id for w in back] == [None]


async def test_a_create_answered_without_an_id_fails_its_named_record(
    any_harness: Harness,
) -> None:
    """A gateway that reports a create done without the new record's id: the
    record it was made from is failed, named, and decided again later."""
    h = any_harness
    [create] = writes(await h.send(h.change("qbo", "customer", "71", customer())))
    answered = h.written(create).model_copy(update={"external_id": None})
    error = await refused(h, answered)
    assert "without the new record's id" in error.reason
    label = "Ann Lee <ann@example.com>"
    assert error.subject == Subject("qbo", "customer", "71", label)
    mirror = await h.repo.mirror(TENANT, "qbo", "customer", "71")
    assert mirror is not None
    assert mirror.state == "failed"
    again = writes(await h.send(h.change("qbo", "customer", "71", customer(), seq=2)))
    assert [w.external_id for w in again] == [None]
