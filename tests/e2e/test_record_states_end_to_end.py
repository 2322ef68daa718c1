"""A record is never stuck out of sight, end to end: every service a process,
both sandboxes, `syncctl` as an operator runs it.

Two QuickBooks customers share an email. The first syncs; the second is
refused with a reason naming the first, in one dead letter naming it. Once a
person makes its email unique in QuickBooks it syncs by itself, and its dead
letter closes by itself. `syncctl record` shows each state along the way.
"""

from __future__ import annotations

from typing import Any

import pytest

from common.bus import Bus, DeadLetters
from common.store import Store
from services.admin.syncctl import run
from tests.e2e.system import TENANT, System
from tests.support import wait_for

pytestmark = pytest.mark.e2e

SHARED = "accounts@twins.example"
UNIQUE = "bea@twins.example"


async def create_customer(system: System, given: str, family: str) -> str:
    status, body = await system.qbo.call(
        "POST",
        "customer",
        json={
            "DisplayName": f"{given} {family}",
            "GivenName": given,
            "FamilyName": family,
            "PrimaryEmailAddr": {"Address": SHARED},
        },
    )
    assert status == 200, body
    return str(body["Customer"]["Id"])


async def zoho_contact_for(system: System, email: str, customer_id: str) -> bool:
    found = await system.zoho.search("Contacts", f"(Email:equals:{email})")
    return any(c.get("QuickBooks_Customer_Id") == customer_id for c in found)


async def record_line(
    system: System, capsys: pytest.CaptureFixture[str], customer_id: str
) -> str:
    capsys.readouterr()
    argv = ["record", "--tenant", TENANT, "--system", "qbo", "--entity", "customer"]
    assert await run([*argv, customer_id], system.settings) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


async def letters_about(store: Store, bus: Bus, customer_id: str) -> list[Any]:
    found = await DeadLetters(store, bus).list(
        tenant=TENANT, system="qbo", entity="customer"
    )
    return [d for d in found if d["external_id"] == customer_id]


@pytest.mark.parametrize("when", ["after_the_first_synced", "at_once"])
async def test_a_customer_sharing_an_email_is_refused_then_syncs_once_fixed(
    system: System,
    store: Store,
    bus: Bus,
    capsys: pytest.CaptureFixture[str],
    when: str,
) -> None:
    first = await create_customer(system, "Ann", "First")
    if when == "after_the_first_synced":
        await wait_for(lambda: zoho_contact_for(system, SHARED, first), seconds=30)
        assert "synced with crm contact" in await record_line(system, capsys, first)
    second = await create_customer(system, "Bea", "Second")
    names = {first: "Ann First", second: "Bea Second"}

    async def refused(customer: str) -> bool:
        line = await record_line(system, capsys, customer)
        return "refused:" in line or "failed:" in line

    async def one_refused() -> bool:
        # Made at once, either may be decided first: one syncs, the other
        # is refused (after the first synced it is always the second).
        candidates = [second] if when == "after_the_first_synced" else [first, second]
        return any([await refused(c) for c in candidates])

    await wait_for(one_refused, seconds=30)
    if await refused(second):
        winner = first
    else:
        winner, second = second, first
    first = winner
    line = await record_line(system, capsys, second)
    assert f"qbo customer {second} ({names[second]} <{SHARED}>)" in line
    assert f"QBO customer {first}" in line  # the reason names the first

    async def one_letter() -> bool:
        return len(await letters_about(store, bus, second)) == 1

    await wait_for(one_letter, seconds=15)
    [letter] = await letters_about(store, bus, second)
    assert f"QBO customer {first}" in letter["reason"]
    assert letter["label"] == f"{names[second]} <{SHARED}>"
    assert await DeadLetters(store, bus).count(tenant=TENANT) == 1

    # The person makes the refused one's email their own in QuickBooks.
    status, body = await system.qbo.call("GET", f"customer/{second}")
    assert status == 200, body
    status, body = await system.qbo.call(
        "POST",
        "customer",
        json={
            "Id": second,
            "SyncToken": body["Customer"]["SyncToken"],
            "sparse": True,
            "PrimaryEmailAddr": {"Address": UNIQUE},
        },
    )
    assert status == 200, body

    await wait_for(lambda: zoho_contact_for(system, UNIQUE, second), seconds=30)

    async def synced() -> bool:
        return "synced with crm contact" in await record_line(system, capsys, second)

    await wait_for(synced, seconds=15)

    async def closed() -> bool:
        return await letters_about(store, bus, second) == []

    await wait_for(closed, seconds=15)  # nobody discarded it: it closed itself
    assert await DeadLetters(store, bus).count(tenant=TENANT) == 0
    assert "synced with crm contact" in await record_line(system, capsys, first)
