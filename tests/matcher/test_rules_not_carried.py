"""Rules 18–22: a value one side does not carry is never written as a clear.

Records here are what the gateways publish: made by their translation
functions from API-shaped JSON, so they say which fields they do not carry
(``not_carried``: a Zoho contact's company fields live on its Account, Zoho
vendors have no company, Zoho quotes no issue date, a field not fetched is
unknown). Only a person clearing a field on one side clears it on the other.
"""

from __future__ import annotations

from typing import Any

import pytest

from common.messages import Envelope
from services.crm_gateway.translation import (
    account_from_zoho,
    contact_from_zoho,
    product_from_zoho,
    quote_from_zoho,
    vendor_from_zoho,
)
from services.qbo_gateway.translation import (
    customer_from_qbo,
    estimate_from_qbo,
    item_from_qbo,
    vendor_from_qbo,
)
from tests.matcher.harness import (
    TENANT,
    Harness,
    command_of,
    data_writes,
    writes,
)

pytestmark = pytest.mark.unit

ZOHO_TIME = {"Modified_Time": "2025-01-01T00:00:00+00:00"}
QBO_META = {"SyncToken": "0", "MetaData": {"LastUpdatedTime": "2025-01-01T00:00:00Z"}}
BILL_ADDR = {"Line1": "12 Ocean Dr.", "City": "Half Moon Bay", "PostalCode": "94213"}
ADDRESS = {
    "line1": "12 Ocean Dr.",
    "line2": None,
    "city": "Half Moon Bay",
    "region": None,
    "postal_code": "94213",
    "country": None,
}


def zoho_contact(contact_id: str, **fields: Any) -> dict[str, Any]:
    """A contact as the crm-gateway reads it: every field it asked for."""
    data = {
        "id": contact_id,
        "First_Name": "Bill",
        "Last_Name": "Lucchini",
        "Email": "bill@surf.example",
        "Phone": None,
        "Mobile": None,
        "Account_Name": None,
        **ZOHO_TIME,
        **fields,
    }
    return contact_from_zoho({k: v for k, v in data.items() if v != ...})[0].model_dump(
        mode="json"
    )


def qbo_customer(customer_id: str, **fields: Any) -> dict[str, Any]:
    data = {
        "Id": customer_id,
        "DisplayName": "Bill Lucchini",
        "GivenName": "Bill",
        "FamilyName": "Lucchini",
        "PrimaryEmailAddr": {"Address": "bill@surf.example"},
        "BillAddr": BILL_ADDR,
        **QBO_META,
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return customer_from_qbo(data)[0].model_dump(mode="json")


def audited_clears(entries: list[Any], field: str) -> list[Any]:
    return [a for a in entries if field in a.after and a.after[field] in (None, {}, [])]


async def contact_from_a_qbo_customer(h: Harness) -> Envelope:
    """QBO customer q1 (address, no company) → Zoho contact c1, no account."""
    out = await h.send(h.change("qbo", "customer", "q1", qbo_customer("q1"), seq=0))
    [create] = writes(out, "write.crm.contact")
    assert command_of(create).record["billing_address"] == ADDRESS
    await h.send(h.written(create, "c1"))
    return create


async def test_rule_18_new_contact_without_account_does_not_clear_the_address(
    any_harness: Harness,
) -> None:
    h = any_harness
    await contact_from_a_qbo_customer(h)
    # Zoho tells us about the contact we created: it has no account, so no
    # company name and no address. That absence is not a change.
    out = await h.send(h.change("crm", "contact", "c1", zoho_contact("c1")))

    assert writes(out, "write.qbo.customer") == []
    assert audited_clears(await h.repo.audit_of(TENANT), "billing_address") == []


async def test_rule_18_phone_edit_in_zoho_keeps_the_customers_address(
    any_harness: Harness,
) -> None:
    h = any_harness
    await contact_from_a_qbo_customer(h)
    await h.send(h.change("crm", "contact", "c1", zoho_contact("c1")))
    edited = zoho_contact("c1", Phone="+1 415 555 0100")
    out = await h.send(h.change("crm", "contact", "c1", edited))

    [update] = writes(out, "write.qbo.customer")
    assert command_of(update).fields == ("phone",)
    assert command_of(update).record["billing_address"] == ADDRESS
    assert audited_clears(await h.repo.audit_of(TENANT), "billing_address") == []


async def test_rule_18_backfill_of_linked_contacts_without_account_clears_nothing(
    any_harness: Harness,
) -> None:
    """The CRM backfill that cleared BillAddr on 25 demo customers."""
    h = any_harness
    await h.send(h.change("qbo", "customer", "q1", qbo_customer("q1"), seq=0))
    out = await h.send(h.change("crm", "contact", "c1", zoho_contact("c1")))
    assert await h.linked("contact", "crm", "c1") == "q1"  # by email
    assert writes(out, "write.qbo.customer") == []
    for write in data_writes(out):  # the address goes to CRM (the gateway decides)
        await h.send(h.written(write))
    # the backfill reads the same contact again, now with a phone
    again = zoho_contact("c1", Phone="555")
    out = await h.send(h.change("crm", "contact", "c1", again))

    [update] = writes(out, "write.qbo.customer")
    assert command_of(update).fields == ("phone",)
    assert command_of(update).record["billing_address"] == ADDRESS
    assert audited_clears(await h.repo.audit_of(TENANT), "billing_address") == []


def zoho_account(**fields: Any) -> dict[str, Any]:
    data = {"id": "a1", "Account_Name": "Surf", "Phone": None, **ZOHO_TIME, **fields}
    return account_from_zoho(data)[0].model_dump(mode="json")


async def test_rule_18_an_account_read_without_its_address_clears_nothing(
    harness: Harness,
) -> None:
    h = harness
    await h.send(h.change("crm", "account", "a1", zoho_account(Billing_City="Bay")))
    contact = zoho_contact("c1", Account_Name={"id": "a1", "name": "Surf"})
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact)))
    assert command_of(create).record["billing_address"]["city"] == "Bay"
    await h.send(h.written(create, "q1"))
    # The account read again, its Billing_* fields not fetched: unknown, not
    # empty; it re-syncs its contacts (rule 5), which must not clear anything.
    renamed = zoho_account(
        Account_Name="Surf Ltd", Modified_Time="2025-01-02T00:00:00Z"
    )
    out = await h.send(h.change("crm", "account", "a1", renamed))

    [update] = writes(out, "write.qbo.customer")
    assert command_of(update).fields == ("company_name",)
    assert command_of(update).record["billing_address"]["city"] == "Bay"
    assert audited_clears(await h.repo.audit_of(TENANT), "billing_address") == []


async def test_rule_19_a_field_not_fetched_is_not_cleared(harness: Harness) -> None:
    h = harness
    [create] = writes(
        await h.send(h.change("crm", "contact", "c1", zoho_contact("c1", Phone="555")))
    )
    await h.send(h.written(create, "q1"))
    # A read that did not ask for Phone/Mobile: the keys are missing.
    contact = zoho_contact("c1", Phone=..., Mobile=..., First_Name="Billy")
    out = await h.send(h.change("crm", "contact", "c1", contact))

    [update] = writes(out, "write.qbo.customer")
    assert command_of(update).fields == ("first_name",)
    assert command_of(update).record["phone"] == "555"


async def test_rule_20_a_person_clearing_a_field_clears_it_on_the_other_side(
    any_harness: Harness,
) -> None:
    h = any_harness
    with_phone = qbo_customer("q1", PrimaryPhone={"FreeFormNumber": "555"})
    [create] = writes(await h.send(h.change("qbo", "customer", "q1", with_phone)))
    await h.send(h.written(create, "c1"))
    await h.send(h.change("crm", "contact", "c1", zoho_contact("c1", Phone="555")))

    cleared = qbo_customer("q1", SyncToken="1")  # no PrimaryPhone: QBO says empty
    out = await h.send(h.change("qbo", "customer", "q1", cleared, seq=1))
    [to_crm] = data_writes(out)
    assert to_crm.routing_key == "write.crm.contact"
    assert command_of(to_crm).fields == ("phone",)
    assert command_of(to_crm).record["phone"] is None

    # and the other way: the person empties the phone field in Zoho
    await h.send(h.written(to_crm))
    await h.send(h.change("crm", "contact", "c1", zoho_contact("c1", Mobile="7")))
    out = await h.send(h.change("crm", "contact", "c1", zoho_contact("c1")))
    [to_qbo] = writes(out, "write.qbo.customer")
    assert command_of(to_qbo).fields == ("mobile",)
    assert command_of(to_qbo).record["mobile"] is None


async def test_rule_20_qbo_deactivation_is_not_undone_by_a_zoho_edit(
    harness: Harness,
) -> None:
    """Zoho contacts have no active flag: an edit there does not reactivate."""
    h = harness
    await contact_from_a_qbo_customer(h)
    inactive = qbo_customer("q1", Active=False, SyncToken="1")
    out = await h.send(h.change("qbo", "customer", "q1", inactive, seq=1))
    [deactivate] = data_writes(out)
    assert command_of(deactivate).deactivate is True
    await h.send(h.written(deactivate))
    out = await h.send(h.change("crm", "contact", "c1", zoho_contact("c1", Phone="1")))

    [update] = writes(out, "write.qbo.customer")
    assert command_of(update).fields == ("phone",)
    assert command_of(update).deactivate is False


async def test_rule_21_zoho_vendors_never_clear_a_qbo_company_name(
    any_harness: Harness,
) -> None:
    """The CRM backfill that cleared CompanyName on 5 vendors."""
    h = any_harness
    qbo = {
        "Id": "v1",
        "DisplayName": "Zylker",
        "CompanyName": "Zylker Hardwares Inc.",
        "PrimaryEmailAddr": {"Address": "sales@zylker.example"},
        **QBO_META,
    }
    vendor = vendor_from_qbo(qbo)[0].model_dump(mode="json")
    [create] = writes(await h.send(h.change("qbo", "vendor", "v1", vendor, seq=0)))
    await h.send(h.written(create, "zv1"))
    zoho = {
        "id": "zv1",
        "Vendor_Name": "Zylker",
        "Email": "sales@zylker.example",
        "Phone": "555-0100",
        "Website": None,
        **{key: None for key in ("Street", "City", "State", "Zip_Code", "Country")},
        **ZOHO_TIME,
    }
    out = await h.send(
        h.change(
            "crm", "vendor", "zv1", vendor_from_zoho(zoho)[0].model_dump(mode="json")
        )
    )

    [update] = writes(out, "write.qbo.vendor")
    assert command_of(update).fields == ("phone",)
    assert command_of(update).record["company_name"] == "Zylker Hardwares Inc."
    assert audited_clears(await h.repo.audit_of(TENANT), "company_name") == []


async def test_rule_21_a_product_field_not_fetched_is_not_cleared(
    harness: Harness,
) -> None:
    h = harness
    item = {"Id": "i1", "Name": "Rock Fountain", "Description": "Stone", **QBO_META}
    record = item_from_qbo(item)[0].model_dump(mode="json")
    [create] = writes(await h.send(h.change("qbo", "item", "i1", record, seq=0)))
    await h.send(h.written(create, "p1"))
    product = {
        "id": "p1",
        "Product_Name": "Rock Fountain",
        "Unit_Price": 5,
        **ZOHO_TIME,
    }
    out = await h.send(
        h.change(
            "crm",
            "product",
            "p1",
            product_from_zoho(product)[0].model_dump(mode="json"),
        )
    )

    [update] = writes(out, "write.qbo.item")
    assert command_of(update).fields == ("unit_price",)  # description unknown
    assert command_of(update).record["description"] == "Stone"


async def linked_parts(h: Harness) -> None:
    """Customer q1 ⇄ contact c1, item i1 ⇄ product p1."""
    await contact_from_a_qbo_customer(h)
    item = item_from_qbo({"Id": "i1", "Name": "W", **QBO_META})[0]
    [create] = writes(
        await h.send(h.change("qbo", "item", "i1", item.model_dump(mode="json")))
    )
    await h.send(h.written(create, "p1"))


def zoho_quote(**fields: Any) -> dict[str, Any]:
    data = {
        "id": "zq1",
        "Subject": "Quote",
        "Contact_Name": {"id": "c1"},
        "Account_Name": None,
        "Valid_Till": "2025-02-01",
        "Quote_Stage": "Draft",
        "Currency": None,
        "Description": None,
        "Terms_and_Conditions": None,
        "Grand_Total": 20,
        "Quote_Number": "7",
        "Quoted_Items": [
            {"Product_Name": {"id": "p1"}, "Quantity": 2, "List_Price": 10}
        ],
        **ZOHO_TIME,
        **fields,
    }
    return quote_from_zoho(data)[0].model_dump(mode="json")


async def test_rule_22_an_estimate_date_is_never_cleared_by_a_quote(
    any_harness: Harness,
) -> None:
    """Zoho quotes have no issue date: QBO's TxnDate stays, never null."""
    h = any_harness
    await linked_parts(h)
    estimate = {
        "Id": "e1",
        "CustomerRef": {"value": "q1"},
        "TxnDate": "2025-01-15",
        "ExpirationDate": "2025-02-01",
        "Line": [
            {
                "Amount": 20,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "i1"},
                    "Qty": 2,
                    "UnitPrice": 10,
                },
            }
        ],
        **QBO_META,
    }
    record = estimate_from_qbo(estimate)[0].model_dump(mode="json")
    [create] = writes(await h.send(h.change("qbo", "estimate", "e1", record, seq=0)))
    assert create.routing_key == "write.crm.quote"
    await h.send(h.written(create, "zq1"))
    # the quote comes back without an issue date: no change
    assert (
        data_writes(await h.send(h.change("crm", "quote", "zq1", zoho_quote()))) == []
    )
    out = await h.send(h.change("crm", "quote", "zq1", zoho_quote(Description="Rush")))

    [update] = writes(out, "write.qbo.estimate")
    assert command_of(update).fields == ("notes",)
    assert command_of(update).record["issue_date"] == "2025-01-15"
    assert audited_clears(await h.repo.audit_of(TENANT), "issue_date") == []


async def test_rule_22_a_quote_written_to_qbo_never_sends_a_null_date_back(
    any_harness: Harness,
) -> None:
    h = any_harness
    await linked_parts(h)
    [create] = writes(await h.send(h.change("crm", "quote", "zq1", zoho_quote())))
    assert create.routing_key == "write.qbo.estimate"
    assert "issue_date" in command_of(create).record["not_carried"]
    await h.send(h.written(create, "e1", seq=0))
    # QBO gave the estimate today's date; the quote keeps none
    estimate = {
        "Id": "e1",
        "CustomerRef": {"value": "q1"},
        "TxnDate": "2025-01-20",
        "ExpirationDate": "2025-02-01",
        "Line": [
            {
                "Amount": 20,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "i1"},
                    "Qty": 2,
                    "UnitPrice": 10,
                },
            }
        ],
        **QBO_META,
    }
    record = estimate_from_qbo(estimate)[0].model_dump(mode="json")
    await h.send(h.change("qbo", "estimate", "e1", record, seq=0))
    out = await h.send(h.change("crm", "quote", "zq1", zoho_quote(Description="Rush")))

    [update] = writes(out, "write.qbo.estimate")
    assert command_of(update).fields == ("notes",)
    assert command_of(update).record["issue_date"] == "2025-01-20"
    assert audited_clears(await h.repo.audit_of(TENANT), "issue_date") == []


async def test_a_forced_write_marks_what_nobody_carries(harness: Harness) -> None:
    """A full write sends every field; one neither side told us is marked
    not carried, so the target's writer leaves it alone."""
    h = harness
    [create] = writes(
        await h.send(h.change("crm", "contact", "c1", zoho_contact("c1")))
    )
    await h.send(h.written(create, "q1"))
    await h.send(h.command("crm", "contact", "c1"))
    out = await h.send(h.change("crm", "contact", "c1", zoho_contact("c1", Phone="1")))

    [full] = writes(out, "write.qbo.customer")
    assert command_of(full).fields == ()
    assert {"billing_address", "company_name"} <= set(
        command_of(full).record["not_carried"]
    )
