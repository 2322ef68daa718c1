"""The Records API on documents the real matcher wrote (its mirror, links,
parked documents and audit on the embedded store): lookups by id, email and
name, the state filter, the fields that differ, the history's order, and a
400 or 404 for every malformed or unknown request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from common.bus import Failure
from common.errors import PermanentError
from common.store.times import stored_now
from services.admin.records import documents
from services.admin.records.outcome import Outcome, from_audit
from services.matcher.bootstrap import bootstrap
from tests.admin.conftest import RunningConsole
from tests.matcher.harness import TENANT, Harness, contact, customer, writes

pytestmark = pytest.mark.integration


async def seeded(running: RunningConsole) -> Harness:
    """A synced contact whose QuickBooks phone was just edited (the write to
    Zoho not confirmed yet), a refused contact with a dead letter, a parked
    invoice, and a QuickBooks customer being created in Zoho."""
    store = running.console.store
    await store.db["connections"].insert_one({"_id": TENANT})
    matcher = await bootstrap(store)
    h = Harness(matcher, matcher.repository)
    [create] = writes(
        await h.send(h.change("crm", "contact", "c1", contact(phone="555-0100")))
    )
    await h.send(h.written(create, "q1"))
    echo = customer(email="Ann@Example.com", phone="555-0100")
    await h.send(h.change("qbo", "customer", "q1", echo, seq=1))
    edited = customer(email="Ann@Example.com", phone="555-0199")
    await h.send(h.change("qbo", "customer", "q1", edited, seq=2))
    with pytest.raises(PermanentError):
        await h.send(h.change("crm", "contact", "c2", contact(email=None)))
    now = datetime.now(UTC)
    await running.console.dead_letters.record(
        Failure(
            queue="matcher.events",
            routing_key="change.crm.contact",
            body=b"{}",
            reason="missing email",
            error_type="PermanentError",
            error_class="permanent",
            attempts=1,
            first_failed_at=now,
            last_failed_at=now,
            event_id="e-c2",
            tenant=TENANT,
            system="crm",
            entity="contact",
            external_id="c2",
            label="Ann Lee",
        )
    )
    invoice = {"kind": "invoice", "number": "INV-7", "party_id": "c9", "lines": []}
    await h.send(h.change("crm", "invoice", "inv1", invoice))
    bea = customer(email="bea@stone.example", first_name="Bea", last_name="Stone")
    await h.send(
        h.change("qbo", "customer", "q7", {**bea, "display_name": "Bea Stone"}, seq=1)
    )
    return h


def places(found: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(r["system"], r["entity"], r["external_id"]) for r in found["records"]}


async def test_lookup_by_id_email_and_name(running_console: RunningConsole) -> None:
    await seeded(running_console)
    api = running_console.api

    by_id = await api.get("/api/records", tenant=TENANT, q="q1")
    assert by_id["found_by"] == "id"
    [row] = by_id["records"]
    assert (row["system"], row["entity"], row["external_id"]) == (
        "qbo",
        "customer",
        "q1",
    )
    assert row["state"] == "waiting"  # its edit's write to Zoho is unconfirmed
    assert "Zoho CRM confirming a write" in row["detail"]

    by_email = await api.get("/api/records", tenant=TENANT, q=" ANN@example.com ")
    assert by_email["found_by"] == "email"
    assert places(by_email) == {("crm", "contact", "c1"), ("qbo", "customer", "q1")}

    by_name = await api.get("/api/records", tenant=TENANT, q="stone")
    assert by_name["found_by"] == "name"
    assert places(by_name) == {("qbo", "customer", "q7")}
    both_words = await api.get("/api/records", q="bea STONE")  # the only tenant
    assert both_words["tenant"] == TENANT
    assert places(both_words) == {("qbo", "customer", "q7")}
    one_side = await api.get("/api/records", tenant=TENANT, q="lee", system="crm")
    assert places(one_side) == {("crm", "contact", "c1"), ("crm", "contact", "c2")}
    as_number = await api.get("/api/records", tenant=TENANT, q="inv-7", kind="name")
    assert places(as_number) == {("crm", "invoice", "inv1")}
    nothing = await api.get("/api/records", tenant=TENANT, q="zed@nowhere.example")
    assert nothing["records"] == []


async def test_records_by_state(running_console: RunningConsole) -> None:
    await seeded(running_console)
    api = running_console.api

    refused = await api.get("/api/records", tenant=TENANT, state="refused")
    assert places(refused) == {("crm", "contact", "c2")}
    assert refused["records"][0]["detail"] == "missing email"
    waiting = await api.get("/api/records", tenant=TENANT, state="waiting")
    assert ("crm", "invoice", "inv1") in places(waiting)
    assert ("qbo", "customer", "q7") in places(waiting)  # its create in flight
    assert all(r["state"] == "waiting" for r in waiting["records"])
    failed = await api.get("/api/records", tenant=TENANT, state="failed")
    assert failed["records"] == []
    refused_contacts = await api.get(
        "/api/records", tenant=TENANT, state="refused", q="lee"
    )
    assert places(refused_contacts) == {("crm", "contact", "c2")}


async def test_a_record_both_sides_what_differs_and_its_history(
    running_console: RunningConsole,
) -> None:
    await seeded(running_console)
    shown = await running_console.api.get(
        "/api/records/crm/contact/c1", tenant=TENANT, live="no"
    )

    assert shown["label"] == "Ann Lee <ann@example.com>"
    assert shown["link"]["crm_id"] == "c1"
    assert shown["link"]["qbo_id"] == "q1"
    [pending] = shown["link"]["pending"]
    assert pending["side"] == "crm"
    assert pending["fields"] == ["phone"]
    crm, qbo = shown["sides"]["crm"], shown["sides"]["qbo"]
    assert crm["record"]["phone"] == "555-0100"
    assert qbo["record"]["phone"] == "555-0199"
    assert qbo["external_id"] == "q1"
    # Emails differing in case only are equal to the matcher; the contact
    # carries no company fields (no account): unknown there, not "differs".
    assert shown["differs"] == ["phone"]
    rows = {row["field"]: row for row in shown["fields"]}
    assert rows["email"]["crm"] == {"carried": True, "value": "ann@example.com"}
    assert rows["email"]["differs"] is False
    assert rows["company_name"]["crm"]["carried"] is False
    assert rows["phone"]["differs"] is True

    actions = [entry["action"] for entry in shown["history"]]
    assert actions == ["update", "created", "create"]  # newest first
    times = [entry["at"] for entry in shown["history"]]
    assert times == sorted(times, reverse=True)
    update = shown["history"][0]
    assert update["direction"] == "qbo→crm"
    assert update["fields"] == ["phone"]
    assert update["before"] == {"phone": "555-0100"}
    assert update["after"] == {"phone": "555-0199"}
    assert shown["dead_letters"] == []


async def test_live_values_unavailable_keep_the_mirror(
    running_console: RunningConsole,
) -> None:
    await seeded(running_console)
    shown = await running_console.api.get("/api/records/qbo/customer/q1")

    for side in shown["sides"].values():
        assert side["live"]["available"] is False
        assert (
            "qbo_gateway" in side["live"]["reason"]
            or "crm_gateway" in (side["live"]["reason"])
        )
    assert shown["differs"] == ["phone"]  # from what the sync last saw


async def test_a_refused_record_shows_why_and_its_dead_letter(
    running_console: RunningConsole,
) -> None:
    await seeded(running_console)
    shown = await running_console.api.get(
        "/api/records/crm/contact/c2", tenant=TENANT, live="no"
    )

    assert shown["state"]["state"] == "refused"
    assert shown["state"]["detail"] == "missing email"
    assert shown["link"] is None
    assert shown["fields"] == []
    assert [e["action"] for e in shown["history"]] == ["refused"]
    [letter] = shown["dead_letters"]
    assert letter["reason"] == "missing email"
    assert letter["error_class"] == "permanent"

    parked = await running_console.api.get(
        "/api/records/crm/invoice/inv1", tenant=TENANT, live="no"
    )
    assert parked["parked"]["waiting"] == ["crm:contact:c9"]
    assert [e["action"] for e in parked["history"]] == ["parked"]


@pytest.mark.parametrize(
    ("path", "query", "named"),
    [
        ("/api/records", {"q": "x", "system": "sap"}, "'system'"),
        ("/api/records", {"q": "x", "state": "stuck"}, "'state'"),
        ("/api/records", {"q": "x", "kind": "phone"}, "'kind'"),
        ("/api/records", {"q": "x", "limit": "0"}, "'limit'"),
        ("/api/records", {"q": "x", "limit": "ten"}, "'limit'"),
        ("/api/records", {"q": "x", "entity": "contact"}, "'system'"),
        ("/api/records", {"q": "x", "system": "qbo", "entity": "lead"}, "lead"),
        ("/api/records", {"tenant": TENANT}, "'q'"),
        ("/api/records", {"q": "x" * 201}, "longer than"),
        ("/api/records/erp/contact/1", {}, "system"),
        ("/api/records/qbo/contact/1", {}, "unknown qbo entity 'contact'"),
        ("/api/records/crm/contact/1", {"live": "maybe"}, "'live'"),
    ],
)
async def test_a_malformed_request_is_a_400_naming_it(
    running_console: RunningConsole, path: str, query: dict[str, str], named: str
) -> None:
    await running_console.console.store.db["connections"].insert_one({"_id": TENANT})
    status, body = await running_console.api.call("GET", path, params=query)

    assert status == 400
    assert named in body["error"]


async def test_the_tenant_is_needed_when_there_are_several(
    running_console: RunningConsole,
) -> None:
    db = running_console.console.store.db
    status, body = await running_console.api.call(
        "GET", "/api/records", params={"q": "x"}
    )
    assert status == 400
    assert "no tenant is connected" in body["error"]
    await db["connections"].insert_many([{"_id": "acme"}, {"_id": "globex"}])
    status, body = await running_console.api.call(
        "GET", "/api/records", params={"q": "x"}
    )
    assert status == 400
    assert "tenants: acme, globex" in body["error"]


async def test_an_unknown_record_is_a_404(running_console: RunningConsole) -> None:
    await seeded(running_console)
    status, body = await running_console.api.call(
        "GET", "/api/records/crm/contact/nobody", params={"tenant": TENANT}
    )
    assert status == 404
    assert "never seen" in body["error"]


async def test_force_sync_without_a_gateway_starts_nothing(
    running_console: RunningConsole,
) -> None:
    await seeded(running_console)
    status, body = await running_console.api.call(
        "POST",
        "/api/records/crm/contact/c1/force-sync",
        params={"tenant": TENANT, "wait": "1"},
        json={},
    )
    assert status == 503
    assert "nothing was started" in body["error"]
    status, body = await running_console.api.call(
        "POST",
        "/api/records/crm/contact/c1/force-sync",
        params={"tenant": TENANT, "wait": "121"},
        json={},
    )
    assert status == 400
    assert "'wait'" in body["error"]


async def test_the_pages_show_results_and_a_record(
    running_console: RunningConsole,
) -> None:
    await seeded(running_console)
    api = running_console.api
    status, html = await api.call("GET", "/ui/records", params={"q": "ann@example.com"})
    assert status == 200
    assert "/ui/records/crm/contact/c1?tenant=acme" in html
    assert "/ui/records/qbo/customer/q1?tenant=acme" in html

    status, html = await api.call(
        "GET", "/ui/records/crm/contact/c1", params={"tenant": TENANT}
    )
    assert status == 200
    assert 'class="differs" data-field="phone"' in html
    assert 'data-field="email"' in html
    assert 'class="differs" data-field="email"' not in html
    assert (
        'data-post="/api/records/crm/contact/c1/force-sync?tenant=acme&amp;wait=30"'
        in html
    )
    assert "live values unavailable" in html
    status, html = await api.call(
        "GET", "/ui/records/crm/contact/nobody", params={"tenant": TENANT}
    )
    assert status == 404


async def test_what_a_force_sync_came_to_is_read_from_the_audit(
    running_console: RunningConsole,
) -> None:
    h = await seeded(running_console)
    db = running_console.console.store.db

    async def since(moment: str, system: str, external_id: str) -> list[Any]:
        ids = {"crm": None, "qbo": None, system: external_id}
        return await documents.audit_since(db, TENANT, "contact", ids, moment)

    # q7's create in Zoho is still in flight: a forced sync finds nothing to
    # write, and the matcher says so.
    moment = stored_now()
    await h.send(h.command("qbo", "customer", "q7"))
    bea = customer(email="bea@stone.example", first_name="Bea", last_name="Stone")
    await h.send(h.change("qbo", "customer", "q7", bea, seq=1))
    entries = await since(moment, "qbo", "q7")
    assert [e["action"] for e in entries] == ["force_requested", "force_unchanged"]
    assert from_audit(entries) == Outcome("unchanged", "nothing to write")

    # c1 is linked: every field goes to QuickBooks, written once confirmed.
    moment = stored_now()
    await h.send(h.command("crm", "contact", "c1"))
    out = await h.send(h.change("crm", "contact", "c1", contact(phone="555-0100")))
    decided = from_audit(await since(moment, "crm", "c1"))
    assert decided is not None
    assert decided.outcome == "still running"
    assert decided.direction == "crm→qbo"
    [write] = writes(out, "write.qbo.customer")
    await h.send(h.written(write))
    written = from_audit(await since(moment, "crm", "c1"))
    assert written is not None
    assert written.outcome == "written"
    assert "email" in written.fields
