"""The qbo-gateway's live re-check before a create, by the common match-key
rule: other spacing and case of a name is the same key, a vendor without
email is found by name, and awkward names survive the query's quoting."""

from __future__ import annotations

from typing import Any

import pytest

from common.matchkeys import match_keys
from common.messages import Envelope, WriteCommand
from common.records import Product, Vendor

from .conftest import TENANT, Running, Sandbox
from .test_qbo_writes import outcome, written_for

pytestmark = pytest.mark.integration

AWKWARD = "O'Brien's  \"Best\"   Bolts (M4, steel) [x]"


def create(entity: str, kind: str, record: Product | Vendor, key: str) -> Envelope:
    """A create as the matcher sends it: both keys by the common rule."""
    data = record.model_dump(mode="json")
    primary, alternative = match_keys(kind, data)
    command = WriteCommand(
        record=data,
        idempotency_key=key,
        match_key=primary,
        alt_match_key=alternative,
    )
    return Envelope(
        kind="write",
        tenant=TENANT,
        system="qbo",
        entity=entity,
        payload=command.model_dump(mode="json"),
    )


async def created(qbo_sandbox: Sandbox, path: str, body: dict[str, Any]) -> str:
    status, answer = await qbo_sandbox.api("POST", path, json=body)
    assert status == 200, answer
    return str(next(iter(v for k, v in answer.items() if k != "time"))["Id"])


async def test_a_name_spelled_with_other_spaces_and_case_is_linked_not_duplicated(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    service = {"Type": "Service", "IncomeAccountRef": {"value": "1"}}
    fountain = await created(
        qbo_sandbox, "item", {"Name": "Rock   FOUNTAIN", **service}
    )
    bolts = await created(qbo_sandbox, "item", {"Name": AWKWARD, **service})
    # Found by the same query (LIKE 'rock%fountain'), but not the same name.
    await created(qbo_sandbox, "item", {"Name": "Rock Garden Fountain", **service})
    before = len(await qbo_sandbox.records("Item"))
    sent = [
        create("item", "product", Product(name="  rock Fountain "), "fountain"),
        create("item", "product", Product(name=AWKWARD.upper()), "bolts"),
        create("item", "product", Product(name="Rock  Garden"), "garden"),
    ]
    await running.bus.publish_many(sent)
    written = await written_for(running, sent)
    results = {outcome(w).idempotency_key: (w, outcome(w)) for w in written}
    for key, existing in (("fountain", fountain), ("bolts", bolts)):
        message, result = results[key]
        assert result.ok, result.reason
        assert result.linked_existing
        assert message.external_id == existing
    assert results["garden"][1].created, results["garden"][1].reason
    assert len(await qbo_sandbox.records("Item")) == before + 1


async def test_a_vendor_without_email_is_found_by_name_before_a_create(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    by_email = await created(
        qbo_sandbox,
        "vendor",
        {"DisplayName": "Paper Co", "PrimaryEmailAddr": {"Address": "orders@paper.io"}},
    )
    by_name = await created(
        qbo_sandbox, "vendor", {"DisplayName": "Ink  &  Toner, (UK)  O'Hara"}
    )
    sent = [
        create("vendor", "vendor", Vendor(name="ink & toner, (uk) o'hara"), "ink"),
        # Email first: a name that is another vendor's does not count.
        create(
            "vendor",
            "vendor",
            Vendor(name="Ink & Toner, (UK) O'Hara", email="Orders@Paper.io"),
            "paper",
        ),
    ]
    await running.bus.publish_many(sent)
    ink, paper = await written_for(running, sent)
    assert outcome(ink).linked_existing, outcome(ink).reason
    assert ink.external_id == by_name
    assert outcome(paper).linked_existing, outcome(paper).reason
    assert paper.external_id == by_email
    assert len(await qbo_sandbox.records("Vendor")) == 2
