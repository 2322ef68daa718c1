"""Rules 1–7: CRM contacts + accounts ⇄ QBO customers."""

from __future__ import annotations

import pytest

from common.errors import PermanentError
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


async def test_rule_01_new_contact_without_match_creates_qbo_customer(
    any_harness: Harness,
) -> None:
    h = any_harness
    out = await h.send(h.change("crm", "contact", "c1", contact()))

    [create] = writes(out, "write.qbo.customer")
    command = command_of(create)
    assert create.external_id is None
    assert command.match_key == "ann@example.com"  # re-checked live before creating
    assert command.record["email"] == "ann@example.com"
    assert len(command.idempotency_key) <= 36
    await h.send(h.written(create, "q1"))
    assert await h.linked("contact", "crm", "c1") == "q1"


async def test_rule_02_contact_matching_one_customer_links_without_duplicate(
    any_harness: Harness,
) -> None:
    h = any_harness
    await h.send(h.change("qbo", "customer", "q7", customer("ANN@example.com "), seq=0))
    out = await h.send(
        h.change("crm", "contact", "c1", contact(" ann@EXAMPLE.com", phone="555"))
    )

    assert await h.linked("contact", "crm", "c1") == "q7"
    assert all(w.external_id == "q7" for w in writes(out, "write.qbo.customer"))
    assert [e.external_id for e in writes(h.sent, "write.qbo.customer")] == ["q7"]
    [update] = writes(out, "write.qbo.customer")
    assert command_of(update).fields == ("phone",)


async def test_rule_03_empty_email_is_refused_with_reason(harness: Harness) -> None:
    h = harness
    with pytest.raises(PermanentError, match="missing email"):
        await h.send(h.change("crm", "contact", "c1", contact(email="  ")))

    assert h.sent == []
    mirror = await h.repo.mirror(TENANT, "crm", "contact", "c1")
    assert mirror is not None
    assert mirror.state == "refused"
    assert mirror.reason == "missing email"
    assert [a.reason for a in await h.repo.audit_of(TENANT)] == ["missing email"]


async def test_rule_04_email_shared_by_several_customers_is_ambiguous(
    any_harness: Harness,
) -> None:
    h = any_harness
    await h.send(h.change("qbo", "customer", "12", customer(), seq=0))
    await h.send(h.change("qbo", "customer", "57", customer(), seq=0))
    h.sent.clear()
    with pytest.raises(PermanentError) as refused:
        await h.send(h.change("crm", "contact", "c1", contact()))

    assert "ann@example.com is shared by QBO customers 12, 57" in refused.value.reason
    assert h.sent == []
    assert await h.linked("contact", "crm", "c1") is None


async def test_rule_05_company_fields_come_from_the_account(harness: Harness) -> None:
    h = harness
    address = {"line1": "1 Main St", "city": "Springfield"}
    await h.send(
        h.change(
            "crm", "account", "a1", {"name": "Acme Ltd", "billing_address": address}
        )
    )
    for n in (1, 2):
        record = contact(f"p{n}@acme.com", account_id="a1", company_name="stale")
        [create] = writes(await h.send(h.change("crm", "contact", f"c{n}", record)))
        assert command_of(create).record["company_name"] == "Acme Ltd"
        assert command_of(create).record["billing_address"]["city"] == "Springfield"
        await h.send(h.written(create, f"q{n}"))

    moved = {"line1": "2 High St", "city": "Shelbyville"}
    out = await h.send(
        h.change(
            "crm", "account", "a1", {"name": "Acme Group", "billing_address": moved}
        )
    )

    updates = data_writes(out)
    assert sorted(w.external_id or "" for w in updates) == ["q1", "q2"]
    for update in updates:
        command = command_of(update)
        assert set(command.fields) == {"company_name", "billing_address"}
        assert command.record["company_name"] == "Acme Group"
        assert command.record["first_name"] == "Ann"  # person fields untouched


async def test_rule_05_person_fields_come_from_the_contact(harness: Harness) -> None:
    h = harness
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    await h.send(h.written(create, "q1"))
    edited = contact(first_name="Anna", phone="1", mobile="2", email="anna@example.com")
    [update] = data_writes(await h.send(h.change("crm", "contact", "c1", edited)))
    assert set(command_of(update).fields) == {"first_name", "phone", "mobile", "email"}


async def test_rule_06_new_qbo_customer_creates_crm_contact_and_account(
    harness: Harness,
) -> None:
    h = harness
    await h.send(h.change("crm", "account", "a9", {"name": "Acme Ltd"}))
    known = customer("bo@acme.com", first_name="Bo", company_name=" acme  ltd")
    [create] = writes(await h.send(h.change("qbo", "customer", "q1", known, seq=0)))
    assert create.routing_key == "write.crm.contact"
    assert create.external_id is None
    record = command_of(create).record
    assert record["account_id"] == "a9"  # found by company name in the mirror
    assert command_of(create).markers == {"QuickBooks_Customer_Id": "q1"}

    unknown = customer("cy@new.com", first_name="Cy", company_name="New Co")
    [create] = writes(await h.send(h.change("qbo", "customer", "q2", unknown, seq=0)))
    # No such account yet: the crm-gateway finds or creates it by company_name.
    assert command_of(create).record["account_id"] is None
    assert command_of(create).record["company_name"] == "New Co"
    await h.send(h.written(create, "c2"))
    assert await h.linked("contact", "qbo", "q2") == "c2"


async def test_rule_07_customer_id_marker_set_once_synced(harness: Harness) -> None:
    h = harness
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    out = await h.send(h.written(create, "q1"))

    [markers] = writes(out, "write.crm.contact")
    assert markers.external_id == "c1"
    assert command_of(markers).record == {}
    assert command_of(markers).markers == {"QuickBooks_Customer_Id": "q1"}
    # a later update does not write the marker again
    [update] = writes(
        await h.send(h.change("crm", "contact", "c1", contact(phone="9")))
    )
    out = await h.send(h.written(update, seq=2))
    assert writes(out) == []
