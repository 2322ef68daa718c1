"""A value one side does not keep is never written to the other as a clear.

Every service a process, both sandboxes. A Zoho contact without an account
has no company name and no billing address (Zoho keeps those on Accounts);
a Zoho quote has no issue date. Those absences must never clear QuickBooks;
a person emptying a field on one side still empties it on the other.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from common.store import Store
from tests.e2e.system import TENANT, System
from tests.support import wait_for

pytestmark = pytest.mark.e2e

BILL_ADDR = {
    "Line1": "12 Ocean Dr.",
    "City": "Half Moon Bay",
    "CountrySubDivisionCode": "CA",
    "PostalCode": "94213",
}
SETTLE_SECONDS = 3  # echoes of our own writes come back well within this


async def qbo_customer(system: System, customer_id: str) -> dict[str, Any]:
    status, body = await system.qbo.call("GET", f"customer/{customer_id}")
    assert status == 200, body
    customer: dict[str, Any] = body["Customer"]
    return customer


async def create_qbo_customer(system: System, **fields: Any) -> str:
    status, body = await system.qbo.call(
        "POST",
        "customer",
        json={
            "DisplayName": "Bill Lucchini",
            "GivenName": "Bill",
            "FamilyName": "Lucchini",
            "PrimaryEmailAddr": {"Address": "bill@surf.example"},
            "BillAddr": BILL_ADDR,
            **fields,
        },
    )
    assert status == 200, body
    return str(body["Customer"]["Id"])


def phone_of(customer: dict[str, Any]) -> str | None:
    phone: str | None = (customer.get("PrimaryPhone") or {}).get("FreeFormNumber")
    return phone


async def synced_contact(system: System, customer_id: str) -> dict[str, Any]:
    """The Zoho contact the sync made for the QBO customer, once it has its marker."""

    async def marked() -> bool:
        found = await system.zoho.search("Contacts", "(Email:equals:bill@surf.example)")
        return len(found) == 1 and found[0].get("QuickBooks_Customer_Id") == customer_id

    await wait_for(marked, seconds=30)
    (found,) = await system.zoho.search("Contacts", "(Email:equals:bill@surf.example)")
    return await system.zoho.get("Contacts", str(found["id"]))


async def edit_zoho(system: System, module: str, record: dict[str, Any]) -> None:
    status, body = await system.zoho.call("PUT", f"/{module}", json={"data": [record]})
    assert status == 200, body


async def audit_clears(store: Store, field: str) -> list[dict[str, Any]]:
    entries = await store.db["matcher_audit"].find({"tenant": TENANT}).to_list(None)
    return [
        entry
        for entry in entries
        if field in (entry.get("after") or {})
        and (entry["after"][field] in (None, {}, []))
    ]


async def test_a_phone_edit_in_zoho_keeps_the_qbo_billing_address(
    system: System, store: Store
) -> None:
    customer_id = await create_qbo_customer(system)
    contact = await synced_contact(system, customer_id)
    assert contact.get("Account_Name") is None  # no company: no account in Zoho
    await asyncio.sleep(SETTLE_SECONDS)  # the new contact's echo has come back
    customer = await qbo_customer(system, customer_id)
    assert (customer.get("BillAddr") or {}).get("Line1") == "12 Ocean Dr."

    await edit_zoho(system, "Contacts", {"id": contact["id"], "Phone": "415-555-0100"})

    async def phone_arrived() -> bool:
        customer = await qbo_customer(system, customer_id)
        return phone_of(customer) == "415-555-0100"

    await wait_for(phone_arrived, seconds=30)
    await asyncio.sleep(SETTLE_SECONDS)
    customer = await qbo_customer(system, customer_id)
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "415-555-0100"
    address = customer.get("BillAddr") or {}
    assert {k: address.get(k) for k in BILL_ADDR} == BILL_ADDR
    assert "CompanyName" not in customer
    assert await audit_clears(store, "billing_address") == []


async def test_the_account_made_for_a_qbo_customer_has_its_billing_address(
    system: System, store: Store
) -> None:
    customer_id = await create_qbo_customer(system, CompanyName="Surf Shop")
    contact = await synced_contact(system, customer_id)
    account = await system.zoho.get("Accounts", str(contact["Account_Name"]["id"]))
    assert account["Account_Name"] == "Surf Shop"
    assert (account["Billing_Street"], account["Billing_City"]) == (
        "12 Ocean Dr.",
        "Half Moon Bay",
    )
    assert (account["Billing_State"], account["Billing_Code"]) == ("CA", "94213")
    await asyncio.sleep(SETTLE_SECONDS)
    customer = await qbo_customer(system, customer_id)
    assert customer["CompanyName"] == "Surf Shop"
    assert (customer.get("BillAddr") or {}).get("City") == "Half Moon Bay"
    assert await audit_clears(store, "billing_address") == []


async def test_a_phone_cleared_in_qbo_is_cleared_in_zoho(
    system: System, store: Store
) -> None:
    customer_id = await create_qbo_customer(
        system, PrimaryPhone={"FreeFormNumber": "415-555-0199"}
    )
    contact = await synced_contact(system, customer_id)
    assert contact["Phone"] == "415-555-0199"
    await asyncio.sleep(SETTLE_SECONDS)

    customer = await qbo_customer(system, customer_id)
    status, body = await system.qbo.call(
        "POST",
        "customer",
        json={
            "Id": customer_id,
            "SyncToken": customer["SyncToken"],
            "sparse": True,
            "PrimaryPhone": None,
        },
    )
    assert status == 200, body
    assert not phone_of(body["Customer"])

    async def phone_cleared() -> bool:
        found = await system.zoho.get("Contacts", str(contact["id"]))
        return found.get("Phone") is None

    await wait_for(phone_cleared, seconds=30)
    await asyncio.sleep(SETTLE_SECONDS)
    customer = await qbo_customer(system, customer_id)
    assert not phone_of(customer)  # nothing wrote the old phone back
    assert (customer.get("BillAddr") or {}).get("City") == "Half Moon Bay"
    assert await audit_clears(store, "billing_address") == []


async def test_a_zoho_quote_reaches_qbo_without_a_null_date(
    system: System, store: Store
) -> None:
    """Quotes have no issue date; QBO refuses a null TxnDate (2010)."""
    product_id = await system.zoho.insert(
        "Products", {"Product_Name": "Surfboard", "Unit_Price": 400}
    )
    contact_id = await system.zoho.insert(
        "Contacts", {"Last_Name": "Kahanamoku", "Email": "duke@surf.example"}
    )
    quote_id = await system.zoho.insert(
        "Quotes",
        {
            "Subject": "Two boards",
            "Contact_Name": {"id": contact_id},
            "Quoted_Items": [
                {"Product_Name": {"id": product_id}, "Quantity": 2, "List_Price": 400}
            ],
        },
    )

    async def estimate_linked() -> bool:
        quote = await system.zoho.get("Quotes", quote_id)
        return bool(quote.get("QuickBooks_Estimate_Id"))

    await wait_for(estimate_linked, seconds=45)
    estimate_id = (await system.zoho.get("Quotes", quote_id))["QuickBooks_Estimate_Id"]
    await asyncio.sleep(SETTLE_SECONDS)  # QBO's TxnDate travels back to the quote
    await edit_zoho(system, "Quotes", {"id": quote_id, "Description": "Rush"})

    async def note_arrived() -> bool:
        status, body = await system.qbo.call("GET", f"estimate/{estimate_id}")
        return status == 200 and body["Estimate"].get("PrivateNote") == "Rush"

    await wait_for(note_arrived, seconds=30)
    await asyncio.sleep(SETTLE_SECONDS)
    _status, body = await system.qbo.call("GET", f"estimate/{estimate_id}")
    assert body["Estimate"]["TxnDate"]
    dead = await store.db["dead_letters"].find({}).to_list(None)
    assert [d for d in dead if "TxnDate" in str(d)] == []
    assert await audit_clears(store, "issue_date") == []
