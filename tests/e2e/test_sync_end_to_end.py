"""The promise, end to end: every service a process, both APIs simulated.

A person edits Zoho CRM or QuickBooks; seconds later the other side has it,
with the markers set, and nothing loops.
"""

from __future__ import annotations

import asyncio

import pytest

from common.connections import Connections
from common.crypto import TokenCipher
from common.store import Store
from tests.e2e.system import TENANT, System
from tests.support import wait_for

pytestmark = pytest.mark.e2e


async def qbo_customer_with_email(system: System, email: str) -> dict | None:
    for customer in await system.qbo.records("Customer"):
        if (customer.get("PrimaryEmailAddr") or {}).get("Address") == email:
            return customer
    return None


async def test_a_new_zoho_contact_becomes_a_qbo_customer_and_gets_its_marker(
    system: System,
) -> None:
    account_id = await system.zoho.insert(
        "Accounts",
        {
            "Account_Name": "Analytical Engines Ltd",
            "Billing_City": "London",
            "Billing_Street": "12 St James's Square",
            "Billing_Code": "SW1Y 4JH",
            "Billing_Country": "UK",
        },
    )
    contact_id = await system.zoho.insert(
        "Contacts",
        {
            "First_Name": "Ada",
            "Last_Name": "Lovelace",
            "Email": "ada@engines.co.uk",
            "Phone": "+44 20 7946 0000",
            "Account_Name": {"id": account_id},
        },
    )

    async def customer_with_company() -> bool:
        # The contact may be handled before its account reaches the matcher:
        # then the customer is created first and gets its company right after.
        found = await qbo_customer_with_email(system, "ada@engines.co.uk")
        return found is not None and found.get("CompanyName") is not None

    await wait_for(customer_with_company, seconds=30)
    customer = await qbo_customer_with_email(system, "ada@engines.co.uk")
    assert customer is not None
    assert customer["GivenName"] == "Ada"
    assert customer["FamilyName"] == "Lovelace"
    assert customer["CompanyName"] == "Analytical Engines Ltd"
    assert customer["BillAddr"]["City"] == "London"

    async def marker_set() -> bool:
        contact = await system.zoho.get("Contacts", contact_id)
        return contact.get("QuickBooks_Customer_Id") == customer["Id"]

    await wait_for(marker_set, seconds=30)

    # Nothing loops: the marker write and the echoes settle, no more writes.
    await asyncio.sleep(3)
    customers = await system.qbo.records("Customer")
    assert len(customers) == 1
    before = (await system.qbo.records("Customer"))[0]["SyncToken"]
    await asyncio.sleep(3)
    assert (await system.qbo.records("Customer"))[0]["SyncToken"] == before


async def test_a_new_qbo_customer_becomes_a_zoho_contact(system: System) -> None:
    status, body = await system.qbo.call(
        "POST",
        "customer",
        json={
            "DisplayName": "Grace Hopper",
            "GivenName": "Grace",
            "FamilyName": "Hopper",
            "CompanyName": "US Navy",
            "PrimaryEmailAddr": {"Address": "grace@navy.mil"},
        },
    )
    assert status == 200, body
    customer_id = body["Customer"]["Id"]

    async def contact() -> bool:
        found = await system.zoho.search("Contacts", "(Email:equals:grace@navy.mil)")
        return len(found) == 1 and found[0].get("QuickBooks_Customer_Id") == customer_id

    await wait_for(contact, seconds=30)
    (found,) = await system.zoho.search("Contacts", "(Email:equals:grace@navy.mil)")
    assert found["Last_Name"] == "Hopper"
    accounts = await system.zoho.search("Accounts", "(Account_Name:equals:US Navy)")
    assert len(accounts) == 1
    assert found["Account_Name"]["id"] == accounts[0]["id"]


async def test_an_invoice_waits_for_its_contact_and_products_then_syncs(
    system: System,
) -> None:
    product_id = await system.zoho.insert(
        "Products", {"Product_Name": "Difference Engine", "Unit_Price": 1200.50}
    )
    contact_id = await system.zoho.insert(
        "Contacts", {"Last_Name": "Babbage", "Email": "charles@engines.co.uk"}
    )
    invoice_id = await system.zoho.insert(
        "Invoices",
        {
            "Subject": "First engine",
            "Contact_Name": {"id": contact_id},
            "Invoiced_Items": [
                {
                    "Product_Name": {"id": product_id},
                    "Quantity": 2,
                    "List_Price": 1200.50,
                    "Discount": 0,
                }
            ],
        },
    )

    async def invoice_synced() -> bool:
        invoice = await system.zoho.get("Invoices", invoice_id)
        return (
            bool(invoice.get("QuickBooks_Invoice_Id")) and invoice.get("QBSYNC") is True
        )

    await wait_for(invoice_synced, seconds=45)
    invoice = await system.zoho.get("Invoices", invoice_id)
    (qbo_invoice,) = await system.qbo.records("Invoice")
    assert invoice["QuickBooks_Invoice_Id"] == qbo_invoice["Id"]
    assert invoice["Subject"] == qbo_invoice["Id"]  # the default compatibility setting
    customer = await qbo_customer_with_email(system, "charles@engines.co.uk")
    assert customer is not None
    assert qbo_invoice["CustomerRef"]["value"] == customer["Id"]
    (item,) = [
        i for i in await system.qbo.records("Item") if i["Name"] == "Difference Engine"
    ]
    lines = [
        line
        for line in qbo_invoice["Line"]
        if line.get("DetailType") == "SalesItemLineDetail"
    ]
    assert lines[0]["SalesItemLineDetail"]["ItemRef"]["value"] == item["Id"]
    assert str(qbo_invoice["TotalAmt"]) in ("2401", "2401.0", "2401.00")
    product = await system.zoho.get("Products", product_id)
    assert product["QuickBooks_Item_Id"] == item["Id"]


async def test_a_connections_own_field_mapping_carries_an_extra_field(
    system: System, store: Store
) -> None:
    connections = Connections(store, TokenCipher(system.settings.secret_key))
    connection = await connections.require(TENANT)
    await connections.save(
        connection.model_copy(
            update={
                "settings": {
                    "field_maps": {
                        "crm": {
                            "contact": {
                                "links": [{"api_field": "Title", "custom_key": "title"}]
                            }
                        },
                        "qbo": {
                            "customer": {
                                "links": [{"api_field": "Notes", "custom_key": "note"}]
                            }
                        },
                    },
                    "field_mapping": {
                        "contact": {
                            "extra": [{"crm": "custom.title", "qbo": "custom.note"}]
                        }
                    },
                }
            }
        )
    )
    await system.zoho.insert(
        "Contacts",
        {
            "Last_Name": "Hamilton",
            "Email": "margaret@mit.edu",
            "Title": "Director of Software Engineering",
        },
    )

    async def carried() -> bool:
        customer = await qbo_customer_with_email(system, "margaret@mit.edu")
        return customer is not None and customer.get("Notes") == (
            "Director of Software Engineering"
        )

    await wait_for(carried, seconds=30)


async def test_the_same_person_created_on_both_sides_at_once_is_linked_not_doubled(
    system: System,
) -> None:
    await asyncio.gather(
        system.zoho.insert(
            "Contacts",
            {"First_Name": "Alan", "Last_Name": "Turing", "Email": "alan@bletchley.uk"},
        ),
        system.qbo.call(
            "POST",
            "customer",
            json={
                "DisplayName": "Alan Turing",
                "GivenName": "Alan",
                "FamilyName": "Turing",
                "PrimaryEmailAddr": {"Address": "alan@bletchley.uk"},
            },
        ),
    )

    async def linked() -> bool:
        contacts = await system.zoho.search(
            "Contacts", "(Email:equals:alan@bletchley.uk)"
        )
        return len(contacts) >= 1 and all(
            c.get("QuickBooks_Customer_Id") for c in contacts
        )

    await wait_for(linked, seconds=30)
    await asyncio.sleep(4)  # anything doubled would have been created by now
    contacts = await system.zoho.search("Contacts", "(Email:equals:alan@bletchley.uk)")
    customers = [
        c
        for c in await system.qbo.records("Customer")
        if (c.get("PrimaryEmailAddr") or {}).get("Address") == "alan@bletchley.uk"
    ]
    assert len(contacts) == 1
    assert len(customers) == 1
    assert contacts[0]["QuickBooks_Customer_Id"] == customers[0]["Id"]
