"""The gateways' ``read`` and ``page`` requests against the real gateway
processes and sandboxes: a record read now and translated, a missing one
named, and paging through every contact/customer yields each exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from common.bus.requests import Request, ask
from common.settings import Settings
from tests.e2e.conftest import system
from tests.e2e.system import TENANT, System
from tests.support import wait_for

__all__ = ["system"]

pytestmark = pytest.mark.e2e

PEOPLE = 5  # made in Zoho; QBO gets its customers through the sync


async def read(settings: Settings, side: str, entity: str, rid: str) -> Any:
    service = f"{side}_gateway"
    request = Request(action="read", tenant=TENANT, entity=entity, external_id=rid)
    return await ask(settings, service, side, request)


async def every_page(
    settings: Settings, side: str, entity: str, size: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        request = Request(
            action="page", tenant=TENANT, entity=entity, cursor=cursor, page_size=size
        )
        answer = await ask(settings, f"{side}_gateway", side, request)
        assert answer.ok, answer.reason
        assert answer.records is not None
        assert len(answer.records) <= size
        items += answer.records
        cursor = answer.next_cursor
        if cursor is None:
            return items
    raise AssertionError("paging did not end")


async def zoho_contact_ids(system: System) -> set[str]:
    status, body = await system.zoho.call(
        "GET", "/Contacts", params={"fields": "Email", "per_page": "200"}
    )
    return set() if status == 204 else {str(row["id"]) for row in body["data"]}


async def make_contacts(system: System) -> list[str]:
    return [
        await system.zoho.insert(
            "Contacts",
            {
                "First_Name": f"Person{n}",
                "Last_Name": "Reads",
                "Email": f"person{n}@reads.example",
            },
        )
        for n in range(PEOPLE)
    ]


async def test_a_record_is_read_now_and_a_missing_one_is_named(system: System) -> None:
    # and a malformed request is answered with its reason (at the end)
    [contact, *_] = await make_contacts(system)
    customers: list[dict[str, Any]] = []

    async def synced() -> bool:
        customers[:] = await system.qbo.records("Customer")
        return any(
            c.get("PrimaryEmailAddr", {}).get("Address") == "person0@reads.example"
            for c in customers
        )

    await wait_for(synced, seconds=30)
    settings = system.settings

    crm = await read(settings, "crm", "contact", contact)
    assert crm.ok, crm.reason
    assert crm.record["email"] == "person0@reads.example"
    assert crm.record["last_name"] == "Reads"
    assert crm.label == "Person0 Reads <person0@reads.example>"

    customer = next(
        c
        for c in customers
        if c.get("PrimaryEmailAddr", {}).get("Address") == "person0@reads.example"
    )
    qbo = await read(settings, "qbo", "customer", str(customer["Id"]))
    assert qbo.ok, qbo.reason
    assert qbo.record["email"] == "person0@reads.example"
    assert qbo.label is not None
    assert "person0@reads.example" in qbo.label

    gone = await read(settings, "crm", "contact", "4000000999999")
    assert not gone.ok
    assert gone.reason == "Zoho CRM contact 4000000999999 does not exist"
    gone = await read(settings, "qbo", "customer", "987654")
    assert not gone.ok
    assert gone.reason == "QuickBooks customer 987654 does not exist"

    answer = await ask(
        settings,
        "qbo_gateway",
        "qbo",
        Request(action="page", tenant=TENANT, entity="customer", cursor="nope"),
    )
    assert not answer.ok
    assert "malformed page cursor" in answer.reason
    answer = await ask(
        settings,
        "crm_gateway",
        "crm",
        Request(action="page", tenant=TENANT, entity="widget"),
    )
    assert not answer.ok
    assert "unknown crm entity 'widget'" in answer.reason
    with pytest.raises(ValueError, match="page_size"):
        Request(action="page", tenant=TENANT, entity="contact", page_size=201)


async def test_paging_yields_every_record_exactly_once(system: System) -> None:
    made = await make_contacts(system)

    async def converged() -> bool:
        contacts = await zoho_contact_ids(system)
        return len(contacts) >= PEOPLE and len(
            await system.qbo.records("Customer")
        ) == len(contacts)

    await wait_for(converged, seconds=40)
    contacts = await zoho_contact_ids(system)
    customers = {str(c["Id"]) for c in await system.qbo.records("Customer")}
    assert set(made) <= contacts

    crm_items = await every_page(system.settings, "crm", "contact", size=2)
    crm_ids = [item["external_id"] for item in crm_items]
    assert sorted(crm_ids) == sorted(contacts)  # each once: no duplicates
    by_id = {item["external_id"]: item for item in crm_items}
    assert by_id[made[1]]["record"]["email"] == "person1@reads.example"
    assert by_id[made[1]]["label"] == "Person1 Reads <person1@reads.example>"

    qbo_items = await every_page(system.settings, "qbo", "customer", size=2)
    qbo_ids = [item["external_id"] for item in qbo_items]
    assert sorted(qbo_ids) == sorted(customers)
    assert all(item["record"] is not None for item in qbo_items)
