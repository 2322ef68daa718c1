"""write.qbo.* → batched QBO calls → written.qbo.*, against the sandbox."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from common.messages import Envelope, WriteCommand, WriteOutcome
from common.records import DocumentLine, Party, Product, SalesDocument
from tests.support import wait_for

from .conftest import TENANT, Running, Sandbox

pytestmark = pytest.mark.integration


def write(
    entity: str,
    record: Any,
    key: str,
    *,
    external_id: str | None = None,
    match_key: str | None = None,
    fields: tuple[str, ...] = (),
    base_sequence: int | None = None,
    deactivate: bool = False,
) -> Envelope:
    command = WriteCommand(
        record=record.model_dump(mode="json"),
        idempotency_key=key,
        match_key=match_key,
        fields=fields,
        base_sequence=base_sequence,
        deactivate=deactivate,
    )
    return Envelope(
        kind="write",
        tenant=TENANT,
        system="qbo",
        entity=entity,
        external_id=external_id,
        payload=command.model_dump(mode="json"),
    )


def outcome(envelope: Envelope) -> WriteOutcome:
    return WriteOutcome.model_validate(envelope.payload)


async def written_for(running: Running, sent: list[Envelope]) -> list[Envelope]:
    ids = {e.event_id for e in sent}

    async def all_back() -> bool:
        return len(
            [w for w in running.probe.of("written") if w.causation_id in ids]
        ) == len(ids)

    await wait_for(all_back, seconds=20)
    by_cause = {w.causation_id: w for w in running.probe.of("written")}
    return [by_cause[e.event_id] for e in sent]


def batch_calls(stats: dict[str, Any]) -> int:
    return sum(c for p, c in stats["by_path"].items() if p.endswith("/batch"))


async def test_creates_are_batched_thirty_to_a_call_and_answered_one_by_one(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    await qbo_sandbox.admin("DELETE", "stats")
    sent = [
        write(
            "customer",
            Party(first_name="P", last_name=f"Person {n}", email=f"p{n}@example.com"),
            f"create-{n}",
            match_key=f"p{n}@example.com",
        )
        for n in range(45)
    ]
    await running.bus.publish_many(sent)
    written = await written_for(running, sent)
    assert all(outcome(w).ok and outcome(w).created for w in written)
    ids = {w.external_id for w in written}
    assert len(ids) == 45
    customers = await qbo_sandbox.records("Customer")
    assert sorted(c["PrimaryEmailAddr"]["Address"] for c in customers) == sorted(
        f"p{n}@example.com" for n in range(45)
    )
    stats = await qbo_sandbox.stats()
    # 45 creates: 2 write batches, not 45 calls; per batch, one query for
    # the emails' re-check and one for the names (each asked together with
    # IN), off the batch budget of 40 calls a minute, which stays for writes.
    assert batch_calls(stats) <= 2
    queries = sum(c for p, c in stats["by_path"].items() if p.endswith("/query"))
    assert 2 <= queries <= 4
    assert stats["total"] <= 6


async def test_live_recheck_links_an_existing_customer_instead_of_duplicating(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    status, body = await qbo_sandbox.api(
        "POST",
        "customer",
        json={
            "DisplayName": "Grace Hopper",
            "PrimaryEmailAddr": {"Address": "grace@navy.mil"},
        },
    )
    assert status == 200
    # The matcher's mirror did not know her yet: it asks for a create.
    sent = [
        write(
            "customer",
            Party(first_name="Grace", last_name="Hopper", email="Grace@Navy.mil"),
            "create-grace",
            match_key="grace@navy.mil",
        )
    ]
    await running.bus.publish_many(sent)
    (written,) = await written_for(running, sent)
    result = outcome(written)
    assert result.ok
    assert result.linked_existing
    assert not result.created
    assert written.external_id == body["Customer"]["Id"]
    assert len(await qbo_sandbox.records("Customer")) == 1


async def test_an_email_shared_by_two_customers_is_not_created(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    for name in ("Twin One", "Twin Two"):
        await qbo_sandbox.api(
            "POST",
            "customer",
            json={"DisplayName": name, "PrimaryEmailAddr": {"Address": "twins@x.io"}},
        )
    sent = [
        write(
            "customer",
            Party(last_name="Twin", email="twins@x.io"),
            "create-twin",
            match_key="twins@x.io",
        )
    ]
    await running.bus.publish_many(sent)
    (written,) = await written_for(running, sent)
    result = outcome(written)
    assert not result.ok
    assert result.error_class == "permanent"
    assert "matches 2 QBO Customer records" in (result.reason or "")
    assert len(await qbo_sandbox.records("Customer")) == 2


async def test_stale_sync_token_is_reread_and_reapplied(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    _status, body = await qbo_sandbox.api(
        "POST", "customer", json={"DisplayName": "Alan Turing", "GivenName": "Alan"}
    )
    customer = body["Customer"]
    # Someone edits it in QBO: SyncToken 0 → 1.
    await qbo_sandbox.api(
        "POST",
        "customer",
        json={
            "Id": customer["Id"],
            "SyncToken": "0",
            "sparse": True,
            "CompanyName": "Bletchley",
        },
    )
    sent = [
        write(
            "customer",
            Party(
                first_name="Alan",
                last_name="Turing",
                display_name="Alan Turing",
                phone="555-0100",
            ),
            "update-alan",
            external_id=customer["Id"],
            fields=("phone",),
            base_sequence=0,
        )
    ]
    await running.bus.publish_many(sent)
    (written,) = await written_for(running, sent)
    assert outcome(written).ok
    assert written.version is not None
    assert written.version.sequence == 2
    (stored,) = await qbo_sandbox.records("Customer")
    assert stored["PrimaryPhone"]["FreeFormNumber"] == "555-0100"
    assert stored["CompanyName"] == "Bletchley"  # their change survived


async def test_duplicate_display_name_gets_a_numbered_name(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    await qbo_sandbox.api("POST", "vendor", json={"DisplayName": "Jane Smith"})
    sent = [
        write(
            "customer",
            Party(first_name="Jane", last_name="Smith", email="jane@smith.io"),
            "create-jane",
            match_key="jane@smith.io",
        )
    ]
    await running.bus.publish_many(sent)
    (written,) = await written_for(running, sent)
    assert outcome(written).ok
    customers = await qbo_sandbox.records("Customer")
    assert [c["DisplayName"] for c in customers] == ["Jane Smith (2)"]
    # " (2)" is tried at once: no query of the numbers in use (the one query
    # is the live re-check of the email before the create).
    stats = await qbo_sandbox.stats()
    assert stats["by_path"].get("POST /v3/company/{realmId}/query", 0) == 1


async def test_items_and_invoices_are_written_with_decimal_amounts(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    item = [
        write(
            "item",
            Product(name="Consulting hour", unit_price=Decimal("0.10")),
            "create-item",
            match_key="Consulting hour",
        )
    ]
    customer = [
        write(
            "customer",
            Party(last_name="Buyer", email="buyer@x.io"),
            "create-buyer",
            match_key="buyer@x.io",
        )
    ]
    await running.bus.publish_many(item + customer)
    item_written, customer_written = await written_for(running, item + customer)
    invoice = SalesDocument(
        kind="invoice",
        party_id=customer_written.external_id,
        lines=(
            DocumentLine(
                product_id=item_written.external_id,
                quantity=Decimal("3"),
                unit_price=Decimal("0.10"),
                amount=Decimal("0.30"),
            ),
        ),
    )
    sent = [write("invoice", invoice, "create-invoice")]
    await running.bus.publish_many(sent)
    (written,) = await written_for(running, sent)
    assert outcome(written).ok, outcome(written).reason
    (stored,) = await qbo_sandbox.records("Invoice")
    assert str(stored["TotalAmt"]) in ("0.3", "0.30")


async def test_deactivation_never_deletes(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    _status, body = await qbo_sandbox.api(
        "POST", "customer", json={"DisplayName": "Leaving"}
    )
    customer = body["Customer"]
    sent = [
        write(
            "customer",
            Party(display_name="Leaving"),
            "deactivate-1",
            external_id=customer["Id"],
            base_sequence=0,
            deactivate=True,
        )
    ]
    await running.bus.publish_many(sent)
    (written,) = await written_for(running, sent)
    assert outcome(written).ok
    (stored,) = await qbo_sandbox.records("Customer")
    assert stored["Active"] is False


async def test_a_redelivered_command_does_not_create_twice(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    command = write(
        "item", Product(name="Once only"), "create-once", match_key="Once only"
    )
    await running.bus.publish(command)
    await written_for(running, [command])
    # The same command again (a redelivery after a lost ack, or a replay).
    again = command.model_copy(update={"event_id": uuid.uuid4()})
    await running.bus.publish(again)
    await written_for(running, [again])
    items = [i for i in await qbo_sandbox.records("Item") if i["Name"] == "Once only"]
    assert len(items) == 1


async def test_an_update_without_a_known_sync_token_reads_it_first(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    # The matcher updates a customer it created a moment ago: the echo that
    # carries the new SyncToken has not reached its mirror yet.
    _, body = await qbo_sandbox.api(
        "POST", "customer", json={"DisplayName": "Fresh", "CompanyName": "Old Co"}
    )
    customer = body["Customer"]
    sent = [
        write(
            "customer",
            Party(display_name="Fresh", company_name="New Co"),
            "update-fresh",
            external_id=customer["Id"],
            fields=("company_name",),
        )
    ]
    await running.bus.publish_many(sent)
    (written,) = await written_for(running, sent)
    assert outcome(written).ok, outcome(written).reason
    (stored,) = await qbo_sandbox.records("Customer")
    assert stored["CompanyName"] == "New Co"
    assert stored["SyncToken"] == "1"


async def test_a_lone_live_create_is_a_single_call_and_never_made_twice(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    await qbo_sandbox.admin("DELETE", "stats")
    person = Party(first_name="Lone", last_name="Live", email="lone@x.io")
    first = write("customer", person, "lone-1", match_key="lone@x.io")
    await running.bus.publish(first)
    (written,) = await written_for(running, [first])
    assert outcome(written).created
    stats = await qbo_sandbox.stats()
    # From the 500-a-minute budget: a backfill's batches do not delay it.
    assert batch_calls(stats) == 0
    assert stats["by_path"].get("POST /v3/company/{realmId}/customer") == 1
    # The same command again (a replay): resolved by its key, not created.
    again = first.model_copy(update={"event_id": uuid.uuid4()})
    await running.bus.publish(again)
    (second,) = await written_for(running, [again])
    assert outcome(second).ok
    assert second.external_id == written.external_id
    assert len(await qbo_sandbox.records("Customer")) == 1
    # A backfill's lone create goes in a batch call (the budget for bulk).
    bulk = write("customer", Party(last_name="Bulk", email="b@x.io"), "bulk-1")
    bulk = bulk.model_copy(update={"lane": "bulk", "tenant": TENANT})
    await running.bus.publish(bulk)
    (made,) = await written_for(running, [bulk])
    assert outcome(made).created
    assert batch_calls(await qbo_sandbox.stats()) == 1


async def test_a_much_shared_name_gets_the_first_free_number_in_one_create(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    await qbo_sandbox.api("POST", "vendor", json={"DisplayName": "Jane Smith"})
    for n in range(2, 8):  # " (2)" … " (7)" taken, by customers and a vendor
        entity = "vendor" if n == 5 else "customer"
        await qbo_sandbox.api("POST", entity, json={"DisplayName": f"Jane Smith ({n})"})
    await qbo_sandbox.admin("DELETE", "stats")
    sent = [
        write(
            "customer",
            Party(first_name="Jane", last_name="Smith", email="jane8@smith.io"),
            "create-jane-8",
            match_key="jane8@smith.io",
        )
    ]
    await running.bus.publish_many(sent)
    (written,) = await written_for(running, sent)
    assert outcome(written).created
    customers = await qbo_sandbox.records("Customer")
    made = next(c for c in customers if c["Id"] == written.external_id)
    assert made["DisplayName"] == "Jane Smith (8)"
    stats = await qbo_sandbox.stats()
    creates = stats["by_path"].get("POST /v3/company/{realmId}/customer", 0)
    # The refused first create; " (2)", tried before asking (most shared
    # names are shared by two); " (5)", which only a vendor holds (customers
    # are asked, and names are unique across both); then " (8)". Not six
    # tries of (2)…(7), and the shared name no refusal.
    assert creates == 4


def bulk_write(entity: str, record: Any, key: str, match_key: str) -> Envelope:
    envelope = write(entity, record, key, match_key=match_key)
    return envelope.model_copy(update={"lane": "bulk"})


async def test_a_backfills_shared_names_are_numbered_inside_the_batch(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    # Taken before: "Jane Smith" (inactive: it still holds the name) and
    # "jane smith (2)" (QBO compares names without case).
    await qbo_sandbox.api("POST", "customer", json={"DisplayName": "Jane Smith"})
    (old,) = await qbo_sandbox.records("Customer")
    await qbo_sandbox.api(
        "POST",
        "customer",
        json={
            "Id": old["Id"],
            "SyncToken": old["SyncToken"],
            "sparse": True,
            "Active": False,
        },
    )
    await qbo_sandbox.api("POST", "customer", json={"DisplayName": "jane smith (2)"})
    await qbo_sandbox.admin("DELETE", "stats")
    people = [("Jane", "Smith")] * 3 + [("Ann", "Lee")] * 2 + [("Solo", "Person")]
    sent = [
        bulk_write(
            "customer",
            Party(first_name=first, last_name=last, email=f"p{n}@names.io"),
            f"names-{n}",
            f"p{n}@names.io",
        )
        for n, (first, last) in enumerate(people)
    ]
    await running.bus.publish_many(sent)
    written = await written_for(running, sent)
    assert all(outcome(w).created for w in written)
    names = {c["Id"]: c["DisplayName"] for c in await qbo_sandbox.records("Customer")}
    made = [names[w.external_id] for w in written if w.external_id]
    assert sorted(made) == [
        "Ann Lee",
        "Ann Lee (2)",
        "Jane Smith (3)",
        "Jane Smith (4)",
        "Jane Smith (5)",
        "Solo Person",
    ]
    stats = await qbo_sandbox.stats()
    # One batch call, nothing refused and renamed by single calls; two
    # queries (the emails' re-check and the names with their next numbers).
    assert batch_calls(stats) == 1
    assert stats["by_path"].get("POST /v3/company/{realmId}/customer", 0) == 0
    assert stats["by_path"].get("POST /v3/company/{realmId}/query", 0) == 2


async def test_a_name_only_a_vendor_holds_is_renamed_after_the_batch_refuses_it(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    # The customers' query cannot see a vendor's name; QBO still refuses it.
    await qbo_sandbox.api("POST", "vendor", json={"DisplayName": "Vera Vendor"})
    await qbo_sandbox.admin("DELETE", "stats")
    sent = [
        bulk_write(
            "customer",
            Party(first_name="Vera", last_name="Vendor", email="vera@v.io"),
            "vera-1",
            "vera@v.io",
        ),
        bulk_write(
            "customer",
            Party(first_name="Other", last_name="One", email="other@v.io"),
            "other-1",
            "other@v.io",
        ),
    ]
    await running.bus.publish_many(sent)
    vera, other = await written_for(running, sent)
    assert outcome(vera).created
    assert outcome(other).created
    names = {c["Id"]: c["DisplayName"] for c in await qbo_sandbox.records("Customer")}
    assert names[vera.external_id] == "Vera Vendor (2)"
    assert names[other.external_id] == "Other One"
    stats = await qbo_sandbox.stats()
    assert stats["by_path"].get("POST /v3/company/{realmId}/customer", 0) == 1


async def test_a_much_shared_name_in_a_batch_is_asked_further_in_one_more_query(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    for name in ["Max Moe"] + [f"Max Moe ({n})" for n in range(2, 8)]:
        await qbo_sandbox.api("POST", "customer", json={"DisplayName": name})
    await qbo_sandbox.admin("DELETE", "stats")
    sent = [
        bulk_write(
            "customer",
            Party(first_name="Max", last_name="Moe", email=f"max{n}@moe.io"),
            f"max-{n}",
            f"max{n}@moe.io",
        )
        for n in range(2)
    ]
    await running.bus.publish_many(sent)
    written = await written_for(running, sent)
    names = {c["Id"]: c["DisplayName"] for c in await qbo_sandbox.records("Customer")}
    assert sorted(names[w.external_id] for w in written if w.external_id) == [
        "Max Moe (8)",
        "Max Moe (9)",
    ]
    stats = await qbo_sandbox.stats()
    # The four variants asked first were all taken, so the batch asked the
    # next fourteen (one more IN query, not a LIKE per name): three queries
    # with the emails' re-check, one batch call, no refusal.
    assert stats["by_path"].get("POST /v3/company/{realmId}/query", 0) == 3
    assert stats["by_path"].get("POST /v3/company/{realmId}/customer", 0) == 0
    assert batch_calls(stats) == 1
