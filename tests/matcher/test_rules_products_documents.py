"""Rules 8–17: products ⇄ items, invoices/quotes ⇄ invoices/estimates,
vendors, force sync."""

from __future__ import annotations

from typing import Any

import pytest

from tests.matcher.harness import (
    TENANT,
    Harness,
    command_of,
    contact,
    data_writes,
    writes,
)

pytestmark = pytest.mark.unit


def invoice(party: str, *products: str, **fields: Any) -> dict[str, Any]:
    lines = [
        {"product_id": p, "quantity": "2", "unit_price": "10.00"} for p in products
    ]
    return {"kind": "invoice", "party_id": party, "lines": lines, **fields}


async def linked_contact(h: Harness, crm_id: str = "c1", qbo_id: str = "q1") -> None:
    record = contact(f"{crm_id}@example.com")
    [create] = writes(await h.send(h.change("crm", "contact", crm_id, record)))
    await h.send(h.written(create, qbo_id))


async def linked_product(h: Harness, crm_id: str, qbo_id: str) -> None:
    record = {"name": f"Widget {crm_id}", "unit_price": "10"}
    [create] = writes(await h.send(h.change("crm", "product", crm_id, record)))
    await h.send(h.written(create, qbo_id))


async def test_rule_08_product_name_match_links(any_harness: Harness) -> None:
    h = any_harness
    item = {"name": "Blue Widget", "unit_price": "9.5"}
    await h.send(h.change("qbo", "item", "i1", item, seq=0))
    out = await h.send(h.change("crm", "product", "p1", {"name": "Blue Widget "}))

    assert await h.linked("product", "crm", "p1") == "i1"
    assert writes(out, "write.qbo.item") == []  # same name, price only on QBO
    [price] = writes(out, "write.crm.product")
    assert command_of(price).record["unit_price"] == "9.5"


async def test_rule_09_new_qbo_item_appears_in_crm(harness: Harness) -> None:
    h = harness
    out = await h.send(h.change("qbo", "item", "i1", {"name": "Gadget"}, seq=0))
    [create] = writes(out, "write.crm.product")
    assert create.external_id is None
    assert command_of(create).record["name"] == "Gadget"
    await h.send(h.written(create, "p1"))
    assert await h.linked("product", "qbo", "i1") == "p1"


async def test_rule_10_item_id_marker_set_once_synced(harness: Harness) -> None:
    h = harness
    [create] = writes(
        await h.send(h.change("crm", "product", "p1", {"name": "Gadget"}))
    )
    out = await h.send(h.written(create, "i1"))
    [markers] = writes(out, "write.crm.product")
    assert command_of(markers).markers == {"QuickBooks_Item_Id": "i1"}
    # and a product created from QBO carries the marker in its create
    [create] = writes(await h.send(h.change("qbo", "item", "i2", {"name": "X"}, seq=0)))
    assert command_of(create).markers == {"QuickBooks_Item_Id": "i2"}


async def test_rule_11_fetch_product_details_toggle_forces_a_sync(
    harness: Harness,
) -> None:
    h = harness
    await linked_product(h, "p1", "i1")
    toggled = {"name": "Widget p1", "unit_price": "10", "fetch_requested": True}
    out = await h.send(h.change("crm", "product", "p1", toggled))

    [fetch] = [e for e in out if e.kind == "fetch"]
    assert (fetch.routing_key, fetch.external_id) == ("fetch.qbo.item", "i1")
    [clear] = writes(out, "write.crm.product")
    assert command_of(clear).markers == {"Fetch_Product_Details": None}
    # the re-read item, unchanged, is still written to CRM in full
    item = {"name": "Widget p1", "unit_price": "10"}
    out = await h.send(h.change("qbo", "item", "i1", item, seq=1))
    [full] = data_writes(out)
    assert full.routing_key == "write.crm.product"
    assert command_of(full).fields == ()


async def test_rule_12_invoice_pushed_only_when_contact_and_products_linked(
    harness: Harness,
) -> None:
    h = harness
    await linked_contact(h)
    await linked_product(h, "p1", "i1")
    await linked_product(h, "p2", "i2")
    out = await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p1", "p2")))

    [create] = writes(out, "write.qbo.invoice")
    record = command_of(create).record
    assert record["party_id"] == "q1"
    assert [line["product_id"] for line in record["lines"]] == ["i1", "i2"]


async def test_rule_13_invoice_parked_then_finished_by_itself(
    any_harness: Harness,
) -> None:
    h = any_harness
    out = await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p1", "p2")))

    assert writes(out) == []  # parked, not failed
    fetches = sorted(e.routing_key + ":" + (e.external_id or "") for e in out)
    assert fetches == [
        "fetch.crm.contact:c1",
        "fetch.crm.product:p1",
        "fetch.crm.product:p2",
    ]
    assert [a.action for a in await h.repo.audit_of(TENANT)] == ["parked"]

    await linked_contact(h)
    await linked_product(h, "p1", "i1")
    assert writes(h.sent, "write.qbo.invoice") == []
    [create] = writes(await h.send(h.change("crm", "product", "p2", {"name": "P2"})))
    out = await h.send(h.written(create, "i2"))

    [pushed] = writes(out, "write.qbo.invoice")
    assert command_of(pushed).record["party_id"] == "q1"
    assert await h.repo.parked_waiting_on(TENANT, ["crm:product:p2"]) != []
    await h.send(h.written(pushed, "qi1"))
    assert await h.repo.parked_waiting_on(TENANT, ["crm:product:p2"]) == []


async def test_rule_14_invoice_markers_and_subject(harness: Harness) -> None:
    h = harness
    await linked_contact(h)
    await linked_product(h, "p1", "i1")
    [create] = writes(
        await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p1")))
    )
    [markers] = writes(await h.send(h.written(create, "1042")), "write.crm.invoice")
    assert command_of(markers).markers == {
        "QuickBooks_Invoice_Id": "1042",
        "QBSYNC": "true",
        "Subject": "1042",
    }


async def test_rule_14_subject_follows_the_connection_setting(harness: Harness) -> None:
    h = harness
    h.repo.connections[TENANT] = {"subject_is_qbo_id": False}  # type: ignore[attr-defined]
    await linked_contact(h)
    await linked_product(h, "p1", "i1")
    quote = {**invoice("c1", "p1"), "kind": "estimate"}
    [create] = writes(await h.send(h.change("crm", "quote", "qt1", quote)))
    [markers] = writes(await h.send(h.written(create, "77")), "write.crm.quote")
    assert command_of(markers).markers == {
        "QuickBooks_Estimate_Id": "77",
        "QBSYNC": "true",
    }
    [create] = writes(
        await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p1")))
    )
    [markers] = writes(await h.send(h.written(create, "78")), "write.crm.invoice")
    assert "Subject" not in command_of(markers).markers


async def test_rule_15_qbo_invoice_created_then_updated_in_crm(
    harness: Harness,
) -> None:
    h = harness
    await linked_contact(h)
    await linked_product(h, "p1", "i1")
    qbo_invoice = invoice("q1", "i1", number="1001", status="Paid")
    [create] = writes(
        await h.send(h.change("qbo", "invoice", "qi1", qbo_invoice, seq=0))
    )
    record = command_of(create).record
    assert create.routing_key == "write.crm.invoice"
    assert create.external_id is None
    assert record["party_id"] == "c1"
    assert record["lines"][0]["product_id"] == "p1"
    assert record["subject"] == "QuickBooks Invoice qi1"
    assert command_of(create).markers["QuickBooks_Invoice_Id"] == "qi1"
    await h.send(h.written(create, "inv9"))

    edited = {**qbo_invoice, "notes": "thanks", "due_date": "2025-02-01"}
    [update] = data_writes(
        await h.send(h.change("qbo", "invoice", "qi1", edited, seq=1))
    )
    assert update.external_id == "inv9"
    assert set(command_of(update).fields) == {"notes", "due_date"}


async def test_rule_16_vendor_matches_on_email_else_name(harness: Harness) -> None:
    h = harness
    await h.send(
        h.change(
            "qbo", "vendor", "v1", {"name": "Paper Co", "email": "ap@paper.co"}, seq=0
        )
    )
    await h.send(h.change("qbo", "vendor", "v2", {"name": "Ink Inc"}, seq=0))
    await h.send(
        h.change(
            "crm", "vendor", "cv1", {"name": "Paper Company", "email": "AP@paper.co"}
        )
    )
    await h.send(
        h.change("crm", "vendor", "cv2", {"name": "ink inc", "email": "x@ink.com"})
    )
    assert await h.linked("vendor", "crm", "cv1") == "v1"  # by email, names differ
    assert await h.linked("vendor", "crm", "cv2") == "v2"  # no email match: by name


@pytest.mark.parametrize(
    ("system", "entity", "other"),
    [("crm", "contact", "qbo"), ("qbo", "customer", "crm")],
)
async def test_rule_17_force_sync_of_one_record_either_direction(
    harness: Harness, system: str, entity: str, other: str
) -> None:
    h = harness
    await linked_contact(h)
    record_id = "c1" if system == "crm" else "q1"
    out = await h.send(h.command(system, entity, record_id))
    [fetch] = out
    assert (fetch.routing_key, fetch.external_id) == (
        f"fetch.{system}.{entity}",
        record_id,
    )

    same = contact("c1@example.com")  # nothing changed since the last sync
    out = await h.send(h.change(system, entity, record_id, same, seq=5))
    [full] = data_writes(out)
    assert full.system == other
    assert command_of(full).fields == ()
    # and without the command, the same unchanged record writes nothing
    assert (
        data_writes(await h.send(h.change(system, entity, record_id, same, seq=6)))
        == []
    )
