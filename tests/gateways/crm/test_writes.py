"""write.crm.* → batched Zoho writes → written.crm.*, one outcome per record."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from common.bus import Bus
from common.bus.topology import tenant_bulk_writes
from common.connections import Connections
from common.matchkeys import match_keys
from common.messages import Envelope, WriteCommand, WriteOutcome
from tests.gateways.crm.conftest import TENANT, Sandbox, StartGateway, Tap, envelope
from tests.support import holds, wait_for

pytestmark = pytest.mark.sandbox

INSERT = ("POST", "/crm/v8/{module}")
UPDATE = ("PUT", "/crm/v8/{module}")
SEARCH = ("GET", "/crm/v8/{module}/search")


def write(entity: str, record: dict[str, Any], key: str, **fields: Any) -> Envelope:
    external_id = fields.pop("external_id", None)
    command = WriteCommand(record=record, idempotency_key=key, **fields)
    return envelope(
        "write",
        entity,
        external_id=external_id,
        payload=command.model_dump(mode="json"),
    )


def outcomes(tap: Tap) -> dict[str, tuple[Envelope, WriteOutcome]]:
    found = {}
    for message in tap.of("written"):
        outcome = WriteOutcome.model_validate(message.payload)
        found[outcome.idempotency_key] = (message, outcome)
    return found


async def contact_count(zoho: Sandbox) -> int:
    _status, body = await zoho.api("GET", "/Contacts/actions/count")
    return int(body["count"])


async def test_creates_are_batched_a_hundred_a_call(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    commands = [
        write(
            "contact",
            {"first_name": "P", "last_name": f"Person {n}", "email": f"p{n}@x.io"},
            f"k{n}",
            match_key=f"p{n}@x.io",  # the re-check searches the command's keys
        )
        for n in range(250)
    ]
    await bus.declare_service_queues("crm_gateway")
    await bus.publish_many(commands)  # queued before the gateway starts
    await start_gateway()
    await wait_for(lambda: holds(len(outcomes(tap)) == 250), 30)
    results = outcomes(tap)
    assert all(o.ok and o.created for _m, o in results.values())
    assert len({m.external_id for m, _o in results.values()}) == 250
    assert all(m.version is not None for m, _o in results.values())
    assert await contact_count(zoho) == 250
    inserts = await zoho.calls(*INSERT)
    searches = await zoho.calls(*SEARCH)
    print(f"\n250 creates: {inserts} insert calls, {searches} searches")
    assert 3 <= inserts <= 5, inserts  # ≤ 100 records a call
    assert searches == inserts  # one live re-check per batch


async def test_live_recheck_links_instead_of_creating_a_duplicate(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    _status, body = await zoho.api(
        "POST",
        "/Contacts",
        json={"data": [{"Last_Name": "Exists", "Email": "Dup@X.io"}]},
    )
    existing = body["data"][0]["details"]["id"]
    _status, _ = await zoho.api(
        "POST",
        "/Contacts",
        json={
            "data": [
                {"Last_Name": "Twin A", "Email": "twin@x.io"},
                {"Last_Name": "Twin B", "Email": "twin@x.io"},
            ]
        },
    )
    await start_gateway()
    await bus.publish_many(
        [
            write(
                "contact",
                {"last_name": "Stale", "email": "dup@x.io"},
                "stale",
                match_key="dup@x.io",
            ),
            write(
                "contact",
                {"last_name": "Twin", "email": "twin@x.io"},
                "twin",
                match_key="twin@x.io",
            ),
            write(
                "contact",
                {"last_name": "New", "email": "new@x.io"},
                "new",
                match_key="new@x.io",
            ),
        ]
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 3))
    results = outcomes(tap)
    message, outcome = results["stale"]
    assert outcome.ok
    assert outcome.linked_existing
    assert not outcome.created
    assert message.external_id == existing
    _m, twin = results["twin"]
    assert not twin.ok
    assert twin.error_class == "permanent"
    assert twin.reason
    assert "ambiguous" in twin.reason
    assert results["new"][1].created
    assert await contact_count(zoho) == 4  # 3 before + "new" only


async def test_one_bad_record_in_a_batch_fails_alone(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    _status, body = await zoho.api(
        "POST",
        "/Contacts",
        json={
            "data": [{"Last_Name": f"U{n}", "Email": f"u{n}@x.io"} for n in range(3)]
        },
    )
    ids = [item["details"]["id"] for item in body["data"]]
    await start_gateway()
    updates = [
        write(
            "contact",
            {"last_name": f"Renamed {n}", "email": f"u{n}@x.io"},
            f"u{n}",
            external_id=record_id,
            fields=("last_name",),
        )
        for n, record_id in enumerate(ids)
    ]
    updates.append(
        write(
            "contact",
            {"last_name": "Ghost"},
            "ghost",
            external_id="9999999999999999999",
            fields=("last_name",),
        )
    )
    await bus.publish_many(updates)
    await wait_for(lambda: holds(len(outcomes(tap)) == 4))
    results = outcomes(tap)
    assert all(results[f"u{n}"][1].ok for n in range(3))
    ghost = results["ghost"][1]
    assert not ghost.ok
    assert ghost.error_class == "permanent"
    assert ghost.reason
    assert "invalid" in ghost.reason
    assert await zoho.calls(*UPDATE, 207) == 1  # one mixed answer
    _status, body = await zoho.api("GET", f"/Contacts/{ids[1]}")
    assert body["data"][0]["Last_Name"] == "Renamed 1"


async def test_markers_only_and_deactivate(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    _status, body = await zoho.api(
        "POST", "/Contacts", json={"data": [{"Last_Name": "Marked", "Email": "m@x.io"}]}
    )
    contact = body["data"][0]["details"]["id"]
    _status, body = await zoho.api(
        "POST",
        "/Products",
        json={"data": [{"Product_Name": "Widget", "Unit_Price": 2.5}]},
    )
    product = body["data"][0]["details"]["id"]
    await start_gateway()
    await zoho.admin("POST", "/_sandbox/stats/reset")
    await bus.publish_many(
        [
            write(
                "contact",
                {},
                "mark",
                external_id=contact,
                markers={"QuickBooks_Customer_Id": "58"},
            ),
            write(
                "contact",
                {"last_name": "Marked", "active": False},
                "off",
                external_id=contact,
                fields=("active",),
                deactivate=True,
            ),
            write(
                "product",
                {"name": "Widget", "active": False},
                "off-p",
                external_id=product,
                fields=("active",),
                deactivate=True,
            ),
        ]
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 3))
    results = outcomes(tap)
    assert all(o.ok for _m, o in results.values())
    assert results["off"][1].reason  # Zoho contacts cannot be deactivated: audited
    _status, body = await zoho.api("GET", f"/Contacts/{contact}")
    assert body["data"][0]["QuickBooks_Customer_Id"] == "58"
    assert body["data"][0]["Last_Name"] == "Marked"
    _status, body = await zoho.api("GET", f"/Products/{product}")
    assert body["data"][0]["Product_Active"] is False
    assert (
        await zoho.calls(*UPDATE) == 2
    )  # contact markers + product; no call for "off"
    await asyncio.sleep(0)


ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postal_code": "11111"}


async def account_named(zoho: Sandbox, name: str) -> list[dict[str, Any]]:
    status, body = await zoho.api(
        "GET", "/Accounts/search", params={"criteria": f"(Account_Name:equals:{name})"}
    )
    return [] if status == 204 or body is None else list(body["data"])


async def account(zoho: Sandbox, account_id: str) -> dict[str, Any]:
    _status, body = await zoho.api("GET", f"/Accounts/{account_id}")
    record: dict[str, Any] = body["data"][0]
    return record


async def test_an_account_created_for_a_qbo_customer_gets_its_billing_address(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    await start_gateway()
    record = {
        "last_name": "Lee",
        "email": "ann@globex.io",
        "company_name": "Globex",
        "billing_address": ADDRESS,
    }
    await bus.publish(write("contact", record, "new", match_key="ann@globex.io"))
    await wait_for(lambda: holds(len(outcomes(tap)) == 1))
    message, outcome = outcomes(tap)["new"]
    assert outcome.ok
    (found,) = await account_named(zoho, "Globex")
    assert (found["Billing_Street"], found["Billing_City"]) == (
        "1 Main St",
        "Springfield",
    )
    assert found["Billing_Code"] == "11111"
    _status, body = await zoho.api("GET", f"/Contacts/{message.external_id}")
    assert body["data"][0]["Account_Name"]["id"] == found["id"]


async def test_a_billing_address_edit_goes_onto_the_contacts_account(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    _status, body = await zoho.api(
        "POST",
        "/Accounts",
        json={"data": [{"Account_Name": "Initech", "Billing_City": "Old Town"}]},
    )
    account_id = body["data"][0]["details"]["id"]
    _status, body = await zoho.api(
        "POST",
        "/Contacts",
        json={
            "data": [
                {
                    "Last_Name": "Lumbergh",
                    "Email": "bill@initech.io",
                    "Account_Name": {"id": account_id},
                }
            ]
        },
    )
    contact = body["data"][0]["details"]["id"]
    await start_gateway()
    record = {
        "last_name": "Lumbergh",
        "email": "bill@initech.io",
        "company_name": "Initech",
        "billing_address": ADDRESS,
        "account_id": account_id,
    }
    await bus.publish(
        write(
            "contact",
            record,
            "moved",
            external_id=contact,
            fields=("billing_address",),
        )
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 1))
    assert outcomes(tap)["moved"][1].ok
    assert (await account(zoho, account_id))["Billing_City"] == "Springfield"


async def test_a_new_contact_fills_an_accounts_address_but_never_overwrites_it(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    _status, body = await zoho.api(
        "POST",
        "/Accounts",
        json={
            "data": [
                {"Account_Name": "Bare Co"},
                {"Account_Name": "Kept Co", "Billing_City": "Their City"},
            ]
        },
    )
    bare, kept = (item["details"]["id"] for item in body["data"])
    await start_gateway()
    await bus.publish_many(
        [
            write(
                "contact",
                {
                    "last_name": f"Person {n}",
                    "email": f"p{n}@x.io",
                    "company_name": company,
                    "billing_address": ADDRESS,
                },
                f"k{n}",
                match_key=f"p{n}@x.io",
            )
            for n, company in enumerate(("Bare Co", "Kept Co"))
        ]
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 2))
    assert (await account(zoho, bare))["Billing_City"] == "Springfield"
    assert (await account(zoho, kept))["Billing_City"] == "Their City"


async def test_an_update_of_only_fields_zoho_does_not_keep_makes_no_call(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    """A QBO estimate's TxnDate reaches a quote, which has no issue date."""
    await start_gateway()
    await zoho.admin("POST", "/_sandbox/stats/reset")
    quote = {"kind": "estimate", "issue_date": "2025-03-01", "subject": "Q"}
    await bus.publish(
        write("quote", quote, "date", external_id="42", fields=("issue_date",))
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 1))
    assert outcomes(tap)["date"][1].ok
    assert await zoho.calls(*UPDATE) == 0


async def test_a_deactivation_with_other_changes_still_writes_them(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    # Found by the convergence suite: a QBO customer renamed, then deactivated,
    # left its Zoho contact with the old name (contacts have no inactive
    # state, and the whole write was skipped).
    _status, body = await zoho.api(
        "POST",
        "/Contacts",
        json={"data": [{"First_Name": "Ken", "Last_Name": "T", "Email": "k@x.io"}]},
    )
    contact = body["data"][0]["details"]["id"]
    await start_gateway()
    await bus.publish(
        write(
            "contact",
            {"first_name": "Ada", "last_name": "T", "active": False},
            "rename-off",
            external_id=contact,
            fields=("active", "first_name"),
            deactivate=True,
        )
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 1))
    assert outcomes(tap)["rename-off"][1].ok
    _status, body = await zoho.api("GET", f"/Contacts/{contact}")
    assert body["data"][0]["First_Name"] == "Ada"


async def test_a_create_is_never_taken_for_a_deactivation_only(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    # Soak seed 142: a create of an inactive record (no fields listed: a
    # create writes them all) was skipped as "deactivation only" and answered
    # without an id.
    await start_gateway()
    await bus.publish(
        write(
            "contact",
            {"first_name": "Ina", "last_name": "Active", "active": False},
            "create-off",
            deactivate=True,
        )
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 1))
    message, outcome = outcomes(tap)["create-off"]
    assert outcome.ok
    assert outcome.created
    assert message.external_id is not None
    _status, body = await zoho.api("GET", f"/Contacts/{message.external_id}")
    assert body["data"][0]["Last_Name"] == "Active"


async def test_a_company_change_takes_the_address_to_the_new_account(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    # Found by the convergence suite: a QBO customer's company edited alone
    # moved its contact to a new account without the address, and that
    # account's empty address then read as a clear of the customer's BillAddr.
    _status, body = await zoho.api(
        "POST",
        "/Contacts",
        json={"data": [{"Last_Name": "Lovelace", "Email": "bl@x.io"}]},
    )
    contact = body["data"][0]["details"]["id"]
    await start_gateway()
    address = {"line1": "43 Engine St", "city": "Delft", "postal_code": "54256"}
    await bus.publish(
        write(
            "contact",
            {
                "last_name": "Lovelace",
                "email": "bl@x.io",
                "company_name": "Jacquard Group",
                "billing_address": address,
            },
            "company-only",
            external_id=contact,
            fields=("company_name",),
        )
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 1))
    assert outcomes(tap)["company-only"][1].ok
    (found,) = await account_named(zoho, "Jacquard Group")
    assert (found["Billing_Street"], found["Billing_City"]) == ("43 Engine St", "Delft")


async def test_a_company_cleared_takes_the_contact_off_its_account(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    # Soak seed 160: a QBO customer's company cleared left its Zoho contact on
    # the account, so Zoho kept the company the person had removed.
    _status, body = await zoho.api(
        "POST", "/Accounts", json={"data": [{"Account_Name": "Analytical Group"}]}
    )
    account = body["data"][0]["details"]["id"]
    _status, body = await zoho.api(
        "POST",
        "/Contacts",
        json={
            "data": [
                {
                    "Last_Name": "Perlman",
                    "Email": "p@x.io",
                    "Account_Name": {"id": account},
                },
                {
                    "Last_Name": "Other",
                    "Email": "o@x.io",
                    "Account_Name": {"id": account},
                },
            ]
        },
    )
    cleared, untouched = (item["details"]["id"] for item in body["data"])
    await start_gateway()
    await bus.publish_many(
        [
            write(
                "contact",
                {"last_name": "Perlman", "email": "p@x.io", "company_name": None},
                "clear",
                external_id=cleared,
                fields=("company_name",),
            ),
            # A write that does not carry the company leaves the account alone.
            write(
                "contact",
                {
                    "last_name": "Other",
                    "phone": "+1 415 555 0100",
                    "not_carried": ["company_name", "billing_address"],
                },
                "phone",
                external_id=untouched,
                fields=("phone",),
            ),
        ]
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 2))
    assert all(outcome.ok for _m, outcome in outcomes(tap).values())
    _status, body = await zoho.api("GET", f"/Contacts/{cleared}")
    assert body["data"][0].get("Account_Name") is None
    _status, body = await zoho.api("GET", f"/Contacts/{untouched}")
    assert body["data"][0]["Account_Name"]["id"] == account
    assert body["data"][0]["Phone"] == "+1 415 555 0100"


async def created_ids(
    zoho: Sandbox, module: str, rows: list[dict[str, Any]]
) -> list[str]:
    status, body = await zoho.api("POST", f"/{module}", json={"data": rows})
    assert status == 201, body
    return [item["details"]["id"] for item in body["data"]]


def create(kind: str, record: dict[str, Any], key: str) -> Envelope:
    """A create as the matcher sends it: both keys by the common rule."""
    primary, alternative = match_keys(kind, record)
    return write(kind, record, key, match_key=primary, alt_match_key=alternative)


async def test_a_name_spelled_with_other_spaces_and_case_is_linked_not_duplicated(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    # Zoho compares case-insensitively but spaces exactly: what Zoho holds is
    # found from our key or our own spelling (common/matchkeys.py).
    awkward = "(Old) Mill, O'Brien's \"Best\" [M4]"
    fountain, mill, _near = await created_ids(
        zoho,
        "Products",
        [
            {"Product_Name": "Rock FOUNTAIN"},
            {"Product_Name": awkward},
            {"Product_Name": "Rock Fountains"},  # not the same name
        ],
    )
    await start_gateway()
    await bus.publish_many(
        [
            create("product", {"name": " rock   Fountain "}, "fountain"),
            create("product", {"name": "(old)  mill, o'brien's \"BEST\" [m4]"}, "mill"),
            create("product", {"name": "Rock  Garden"}, "garden"),
        ]
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 3))
    results = outcomes(tap)
    for key, existing in (("fountain", fountain), ("mill", mill)):
        message, outcome = results[key]
        assert outcome.ok, outcome.reason
        assert outcome.linked_existing
        assert message.external_id == existing
    assert results["garden"][1].created
    _status, body = await zoho.api("GET", "/Products/actions/count")
    assert body["count"] == 4  # 3 before + "Rock Garden" only


async def test_a_vendor_without_email_is_found_by_name_before_a_create(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    by_email, by_name = await created_ids(
        zoho,
        "Vendors",
        [
            {"Vendor_Name": "Paper Co", "Email": "Orders@Paper.io"},
            {"Vendor_Name": "Ink & Toner, (UK) Ltd"},
        ],
    )
    await start_gateway()
    await bus.publish_many(
        [
            create("vendor", {"name": "ink  &  toner, (uk) LTD", "email": None}, "ink"),
            # Email first: a name that is another vendor's does not count.
            create(
                "vendor",
                {"name": "Ink & Toner, (UK) Ltd", "email": "orders@paper.io"},
                "paper",
            ),
        ]
    )
    await wait_for(lambda: holds(len(outcomes(tap)) == 2))
    results = outcomes(tap)
    assert results["ink"][1].linked_existing, results["ink"][1].reason
    assert results["ink"][0].external_id == by_name
    assert results["paper"][1].linked_existing
    assert results["paper"][0].external_id == by_email
    _status, body = await zoho.api("GET", "/Vendors/actions/count")
    assert body["count"] == 2


async def test_a_contacts_company_is_found_by_its_name_however_spaced(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    (globex,) = await created_ids(
        zoho, "Accounts", [{"Account_Name": "Globex, (Intl) LTD"}]
    )
    await start_gateway()
    record = {
        "last_name": "Lee",
        "email": "lee@globex.io",
        "company_name": "globex,  (intl)   ltd ",
    }
    await bus.publish(create("contact", record, "lee"))
    await wait_for(lambda: holds(len(outcomes(tap)) == 1))
    message, outcome = outcomes(tap)["lee"]
    assert outcome.created, outcome.reason
    _status, body = await zoho.api("GET", f"/Contacts/{message.external_id}")
    assert body["data"][0]["Account_Name"]["id"] == globex
    _status, body = await zoho.api("GET", "/Accounts/actions/count")
    assert body["count"] == 1


async def test_many_contacts_companies_cost_one_search_and_one_insert(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    _status, body = await zoho.api(
        "POST", "/Accounts", json={"data": [{"Account_Name": "Old Co"}]}
    )
    old = body["data"][0]["details"]["id"]
    await start_gateway(background=True)  # it consumes the tenants' bulk queues
    await zoho.admin("POST", "/_sandbox/stats/reset")
    companies = ["Old Co", "New Co", "new  co", "Third Ltd"] * 5  # 20 contacts
    commands = [
        write(
            "contact",
            {
                "last_name": f"Person {n}",
                "email": f"p{n}@co.io",
                "company_name": company,
                "billing_address": ADDRESS,
            },
            f"k{n}",
            match_key=f"p{n}@co.io",
        ).model_copy(update={"lane": "bulk"})
        for n, company in enumerate(companies)
    ]
    # A backfill's writes wait in the tenant's own queue for the gateway.
    await bus.declare_queue(tenant_bulk_writes("crm", TENANT))
    await bus.publish_many(commands)
    await wait_for(lambda: holds(len(outcomes(tap)) == 20), 30)
    assert all(o.ok and o.created for _m, o in outcomes(tap).values())
    searches, inserts = await zoho.calls(*SEARCH), await zoho.calls(*INSERT)
    reads = await zoho.calls("GET", "/crm/v8/{module}/{record_id}")
    # One account per company however spelled: the old one, two made now.
    (new,) = await account_named(zoho, "New Co")
    (third,) = await account_named(zoho, "Third Ltd")
    assert (await account(zoho, new["id"]))["Billing_City"] == "Springfield"
    expected = {"old co": old, "new co": new["id"], "third ltd": third["id"]}
    for n, company in enumerate(companies):
        message, _outcome = outcomes(tap)[f"k{n}"]
        _status, found = await zoho.api("GET", f"/Contacts/{message.external_id}")
        wanted = expected[" ".join(company.split()).casefold()]
        assert found["data"][0]["Account_Name"]["id"] == wanted
    # The accounts: one search and one insert for all twenty contacts; the
    # contacts: one re-check and one insert.
    assert (searches, inserts) == (2, 2)
    # The search brought the found account's address: no account read to
    # learn whether a contact joining it fills in an address.
    assert reads == 0
    (old_now,) = await account_named(zoho, "Old Co")
    assert (await account(zoho, old_now["id"]))["Billing_City"] == "Springfield"
