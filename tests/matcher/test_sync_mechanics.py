"""Echo suppression, conflicts, ordering, duplicates, deletes, field mapping."""

from __future__ import annotations

import pytest

from common.errors import PermanentError
from common.messages import Envelope
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


async def synced_pair(h: Harness) -> None:
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    await h.send(h.written(create, "q1", seq=0))


def bounced(h: Harness, write: Envelope, external_id: str, seq: int) -> Envelope:
    """The target's webhook/poll for our own write: what we wrote, plus what
    that system adds (ids, display names, markers are not canonical)."""
    record = dict(command_of(write).record)
    return h.change(write.system, write.entity, external_id, record, seq=seq)


async def test_echo_loop_produces_no_further_writes(any_harness: Harness) -> None:
    h = any_harness
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    [markers] = await h.send(h.written(create, "q1", seq=0))
    await h.send(h.written(markers))
    before = len(writes(h.sent))

    await h.send(bounced(h, create, "q1", seq=0))  # QBO tells us about our create
    await h.send(h.change("crm", "contact", "c1", contact()))  # the marker write echoes
    edit = writes(await h.send(h.change("crm", "contact", "c1", contact(phone="1"))))
    await h.send(h.written(edit[0], seq=1))
    await h.send(bounced(h, edit[0], "q1", seq=1))
    await h.send(bounced(h, edit[0], "q1", seq=1))  # and again from the poll

    assert len(writes(h.sent)) - before == 1  # only the edit itself


async def test_simultaneous_edits_merge_per_field_latest_wins(harness: Harness) -> None:
    h = harness
    await synced_pair(h)
    await h.send(h.change("qbo", "customer", "q1", customer(), seq=0))
    crm_edit = h.change("crm", "contact", "c1", contact(phone="111", last_name="Li"))
    qbo_edit = h.change(
        "qbo", "customer", "q1", customer(phone="222", mobile="9"), seq=1
    )
    [to_qbo] = data_writes(await h.send(crm_edit))
    out = await h.send(qbo_edit)  # made in QBO before our write landed

    assert set(command_of(to_qbo).fields) == {"phone", "last_name"}
    to_crm, to_qbo_again = sorted(data_writes(out), key=lambda e: e.system)
    # QBO's phone is the later change; the mobile only QBO changed
    assert command_of(to_crm).record["phone"] == "222"
    assert set(command_of(to_crm).fields) == {"phone", "mobile"}
    # and our earlier write of "111", still in flight to QBO, is superseded
    assert command_of(to_qbo_again).fields == ("phone",)
    assert command_of(to_qbo_again).record["phone"] == "222"
    [conflict] = [c for a in await h.repo.audit_of(TENANT) for c in a.conflicts]
    assert conflict == {
        "field": "phone",
        "base": None,
        "crm": "111",
        "qbo": "222",
        "winner": "qbo",
        "policy": "latest",
    }


async def test_simultaneous_edits_per_field_policy_crm_wins(harness: Harness) -> None:
    h = harness
    h.repo.connections[TENANT] = {"conflict": {"fields": {"phone": "crm_wins"}}}  # type: ignore[attr-defined]
    await synced_pair(h)
    await h.send(h.change("crm", "contact", "c1", contact(phone="111")))
    out = await h.send(h.change("qbo", "customer", "q1", customer(phone="222"), seq=1))

    # the write of "111" still in flight to QBO carries the winner: nothing new
    assert data_writes(out) == []
    conflicts = [c for a in await h.repo.audit_of(TENANT) for c in a.conflicts]
    assert [(c["winner"], c["policy"]) for c in conflicts] == [("crm", "crm_wins")]


async def test_out_of_order_events_drop_the_older(harness: Harness) -> None:
    h = harness
    await synced_pair(h)
    older, newer = h.at(), h.at()
    out = await h.send(h.change("crm", "contact", "c1", contact(phone="new"), at=newer))
    assert len(data_writes(out)) == 1
    late = await h.send(
        h.change("crm", "contact", "c1", contact(phone="old"), at=older)
    )
    assert late == []
    mirror = await h.repo.mirror(TENANT, "crm", "contact", "c1")
    assert mirror is not None
    assert mirror.record is not None
    assert mirror.record["phone"] == "new"


async def test_qbo_sequence_orders_events_with_equal_times(harness: Harness) -> None:
    h = harness
    await synced_pair(h)
    same = h.at()
    await h.send(h.change("qbo", "customer", "q1", customer(phone="2"), seq=2, at=same))
    assert (
        await h.send(
            h.change("qbo", "customer", "q1", customer(phone="1"), seq=1, at=same)
        )
        == []
    )


async def test_duplicate_event_with_a_new_id_is_dropped(harness: Harness) -> None:
    h = harness
    await synced_pair(h)
    change = h.change("crm", "contact", "c1", contact(phone="5"))
    assert len(data_writes(await h.send(change))) == 1
    again = change.model_copy(update={"event_id": change.caused(key="poll").event_id})
    assert await h.send(again) == []  # the same version via webhook and poll


async def test_redelivery_returns_the_same_messages(any_harness: Harness) -> None:
    h = any_harness
    change = h.change("crm", "contact", "c1", contact())
    first = await h.send(change)
    second = await h.send(change)  # the bus crashed before its ack
    assert [e.event_id for e in second] == [e.event_id for e in first]
    assert command_of(second[0]).idempotency_key == command_of(first[0]).idempotency_key


async def test_refused_record_is_retried_on_replay(harness: Harness) -> None:
    h = harness
    await h.send(h.change("qbo", "customer", "12", customer(), seq=0))
    await h.send(h.change("qbo", "customer", "57", customer(), seq=0))
    refused = h.change("crm", "contact", "c1", contact())
    with pytest.raises(PermanentError):
        await h.send(refused)
    await h.send(h.change("qbo", "customer", "57", customer("other@x.com"), seq=1))
    await h.send(refused)  # replayed from the dead letters once fixed
    assert await h.linked("contact", "crm", "c1") == "12"


async def test_crm_delete_deactivates_in_qbo(harness: Harness) -> None:
    h = harness
    await synced_pair(h)
    out = await h.send(h.change("crm", "contact", "c1", deleted=True))
    [deactivate] = writes(out)
    assert deactivate.routing_key == "write.qbo.customer"
    assert deactivate.external_id == "q1"
    assert command_of(deactivate).deactivate is True
    assert command_of(deactivate).record["active"] is False
    assert await h.send(h.change("crm", "contact", "c1", deleted=True)) == []


async def test_qbo_deactivation_is_reflected_in_crm(harness: Harness) -> None:
    h = harness
    await synced_pair(h)
    out = await h.send(h.change("qbo", "customer", "q1", customer(active=False), seq=1))
    [to_crm] = data_writes(out)
    assert to_crm.routing_key == "write.crm.contact"
    assert command_of(to_crm).deactivate is True
    assert command_of(to_crm).fields == ("active",)


@pytest.mark.parametrize("how", ["voided", "deleted"])
async def test_voided_or_deleted_qbo_invoice_updates_crm_status(
    harness: Harness, how: str
) -> None:
    h = harness
    await synced_pair(h)
    [create] = writes(await h.send(h.change("crm", "product", "p1", {"name": "W"})))
    await h.send(h.written(create, "i1"))
    doc = {"kind": "invoice", "party_id": "c1", "lines": [{"product_id": "p1"}]}
    [create] = writes(await h.send(h.change("crm", "invoice", "inv1", doc)))
    await h.send(h.written(create, "qi1", seq=0))
    if how == "voided":
        qbo = {"kind": "invoice", "party_id": "q1", "voided": True}
        event = h.change("qbo", "invoice", "qi1", qbo, seq=1)
    else:
        event = h.change("qbo", "invoice", "qi1", deleted=True)
    [status] = writes(await h.send(event))
    assert (status.routing_key, status.external_id) == ("write.crm.invoice", "inv1")
    assert command_of(status).record["status"] == "Cancelled"
    assert command_of(status).markers == {"QBSYNC": None}


async def test_field_mapping_overrides_add_and_drop_fields(harness: Harness) -> None:
    h = harness
    h.repo.connections[TENANT] = {  # type: ignore[attr-defined]
        "field_mapping": {
            "contact": {
                "extra": [{"crm": "custom.Industry", "qbo": "custom.Sector"}],
                "exclude": ["mobile"],
            }
        }
    }
    await synced_pair(h)
    edited = contact(mobile="7", custom={"Industry": "Retail"})
    [update] = data_writes(await h.send(h.change("crm", "contact", "c1", edited)))
    assert command_of(update).fields == ("custom.Sector",)
    assert command_of(update).record["custom"] == {"Sector": "Retail"}


async def test_failed_write_is_dead_lettered_with_the_targets_reason(
    harness: Harness,
) -> None:
    h = harness
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    refused = h.written(create, ok=False, reason="Duplicate Name Exists Error")
    with pytest.raises(PermanentError, match="Duplicate Name Exists"):
        await h.send(refused)
    assert await h.linked("contact", "crm", "c1") is None


async def test_crm_delete_while_its_customer_is_being_created_deactivates_it(
    harness: Harness,
) -> None:
    # Found by the convergence suite: a contact deleted 0.2 s after it was
    # created left its new QBO customer active, and the customer id was then
    # written back to the deleted contact (dead-lettered).
    h = harness
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    assert await h.send(h.change("crm", "contact", "c1", deleted=True)) == []

    out = await h.send(h.written(create, "q1", seq=0))

    [deactivate] = writes(out)
    assert deactivate.routing_key == "write.qbo.customer"
    assert deactivate.external_id == "q1"
    assert command_of(deactivate).deactivate is True
    link = await h.repo.link_of(TENANT, "contact", "qbo", "q1")
    assert link is not None
    assert link.state == "deleted"
