"""Insert, update, upsert and delete: per-record envelopes and their errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.sandbox

SUCCESS_KEYS = {"Modified_Time", "Modified_By", "Created_Time", "id", "Created_By"}


def same_shape(actual, expected):
    """Same keys at every level of dicts (lists compared element-wise on the first)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), actual
        assert set(actual) == set(expected), set(actual) ^ set(expected)
        for key in expected:
            same_shape(actual[key], expected[key])
    elif isinstance(expected, list) and expected and actual:
        same_shape(actual[0], expected[0])


async def product(zoho, name="Rock Fountain", price=275.0):
    reply = await zoho.insert("Products", {"Product_Name": name, "Unit_Price": price})
    return reply.body["data"][0]["details"]["id"]


async def test_insert_fixture_requests_succeed_with_doc_shape(zoho, zoho_fixture):
    await zoho.reset(seed=3, vendors=1)
    request = zoho_fixture("accounts.insert.request.json")
    request["data"][0].pop("Parent_Account")  # points at a record this org lacks
    request["data"][0].pop("Owner")
    reply = await zoho.call("POST", "/crm/v8/Accounts", json=request)
    assert reply.status == 201
    expected = zoho_fixture("insert.success.response.json")["data"][0]
    same_shape(reply.body["data"][0], expected)
    details = reply.body["data"][0]["details"]
    assert details["id"].isdigit()
    assert len(details["id"]) in (18, 19)
    assert details["Created_Time"][-6] in "+-"


async def test_invoice_line_items_are_priced_by_the_server(zoho, zoho_fixture):
    await zoho.reset()
    product_id = await product(zoho, price=999)
    request = zoho_fixture("invoices.insert.request.json")
    invoice = request["data"][0]
    for key in ("Owner", "Sales_Order", "Account_Name", "Contact_Name"):
        invoice.pop(key)
    invoice["Invoiced_Items"][0]["Product_Name"]["id"] = product_id
    invoice["$line_tax"] = [{"name": "VAT", "percentage": 10}]
    reply = await zoho.call("POST", "/crm/v8/Invoices", json=request)
    assert reply.status == 201, reply.body
    record_id = reply.body["data"][0]["details"]["id"]
    got = (await zoho.call("GET", f"/crm/v8/Invoices/{record_id}")).body["data"][0]
    row = got["Invoiced_Items"][0]
    # `quantity`, `list_price`, `discount` (lower case) are accepted as aliases.
    assert (row["Quantity"], row["List_Price"], row["Discount"]) == (90, 999, 5)
    assert row["Total"] == 89910.0
    assert row["Net_Total"] == 89905.0
    assert row["Product_Name"] == {"name": "Rock Fountain", "id": product_id}
    assert row["id"].isdigit()
    assert got["Sub_Total"] == 89905.0
    assert got["Tax"] == 8990.5
    assert got["Grand_Total"] == 98895.5
    assert got["QBSYNC"] is False
    assert got["Invoice_Number"].startswith("INV-")


async def test_quote_fixture_takes_list_price_from_product_and_line_tax(
    zoho, zoho_fixture
):
    await zoho.reset()
    product_id = await product(zoho, price=10)
    request = zoho_fixture("quotes.insert.request.json")
    row = request["data"][0]["Quoted_Items"][0]
    row["Product_Name"]["id"] = product_id
    row.pop("Price_Book_Name")
    reply = await zoho.call("POST", "/crm/v8/Quotes", json=request)
    assert reply.status == 201, reply.body
    quote_id = reply.body["data"][0]["details"]["id"]
    got = (await zoho.call("GET", f"/crm/v8/Quotes/{quote_id}")).body["data"][0]
    item = got["Quoted_Items"][0]
    assert item["List_Price"] == 10
    assert item["Tax"] == 110.0  # 11 % of 1000
    assert got["Grand_Total"] == round(1110 * 1.015, 2)


async def test_mandatory_field_missing(zoho, zoho_fixture):
    await zoho.reset()
    reply = await zoho.insert("Contacts", {"First_Name": "No last name"})
    assert reply.status == 400
    item = reply.body["data"][0]
    assert item == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "Last_Name", "json_path": "$.data[0].Last_Name"},
        "message": "required field not found",
        "status": "error",
    }
    doc = zoho_fixture("insert.mandatory_not_found.response.json")["data"][0]
    assert (item["code"], item["message"]) == (doc["code"], doc["message"])


async def test_invoice_without_line_items_is_refused(zoho):
    await zoho.reset()
    reply = await zoho.insert("Invoices", {"Subject": "Empty", "Invoiced_Items": []})
    assert reply.status == 400
    assert reply.body["data"][0]["details"]["api_name"] == "Invoiced_Items"


async def test_line_tax_that_is_not_a_number_is_invalid_data_not_a_crash(zoho):
    await zoho.reset()
    item = {"Product_Name": {"id": await product(zoho)}, "Quantity": 1}
    taxes = [{"name": "VAT", "percentage": "abc"}]
    reply = await zoho.insert(
        "Invoices",
        {"Subject": "Taxed", "Invoiced_Items": [{**item, "Line_Tax": taxes}]},
    )
    assert reply.status == 400
    details = reply.body["data"][0]["details"]
    assert details["json_path"] == "$.data[0].Invoiced_Items[0].Line_Tax[0].percentage"


async def test_mixed_batch_answers_207(zoho, zoho_fixture):
    await zoho.reset()
    reply = await zoho.insert(
        "Contacts",
        {"Last_Name": "Boyle"},
        {"Last_Name": "Bad", "Email": "not-an-email"},
    )
    assert reply.status == 207
    ok, bad = reply.body["data"]
    doc_ok, _doc_bad = zoho_fixture("insert.mixed_207.response.json")["data"]
    same_shape(ok, doc_ok)
    assert bad["code"] == "INVALID_DATA"
    assert bad["details"] == {
        "expected_data_type": "email",
        "api_name": "Email",
        "json_path": "$.data[1].Email",
    }


async def test_duplicate_marker_value_is_duplicate_data(zoho, zoho_fixture):
    creds = await zoho.reset()
    first = await zoho.insert(
        "Contacts", {"Last_Name": "A", "QuickBooks_Customer_Id": "58"}
    )
    existing = first.body["data"][0]["details"]["id"]
    reply = await zoho.insert(
        "Contacts", {"Last_Name": "B", "QuickBooks_Customer_Id": "58"}
    )
    assert reply.status == 400
    item = reply.body["data"][0]
    doc = zoho_fixture("insert.multiple_errors.response.json")["data"][0]["details"]
    same_shape(item, doc["errors"][0])
    assert item["details"]["duplicate_record"]["id"] == existing
    assert item["details"]["duplicate_record"]["Owner"]["zuid"] == creds["user"]["zuid"]
    assert item["details"]["json_path"] == "$.data[0].QuickBooks_Customer_Id"


async def test_several_errors_on_one_record_are_multiple_or_multi_errors(zoho):
    await zoho.reset()
    await zoho.insert("Contacts", {"Last_Name": "A", "QuickBooks_Customer_Id": "1"})
    reply = await zoho.insert(
        "Contacts",
        {"Last_Name": "B", "Email": "bad", "QuickBooks_Customer_Id": "1"},
    )
    item = reply.body["data"][0]
    assert item["code"] == "MULTIPLE_OR_MULTI_ERRORS"
    codes = sorted(error["code"] for error in item["details"]["errors"])
    assert codes == ["DUPLICATE_DATA", "INVALID_DATA"]


async def test_lookup_in_with_id_out_with_name(zoho):
    await zoho.reset()
    account = await zoho.insert("Accounts", {"Account_Name": "Zylker"})
    account_id = account.body["data"][0]["details"]["id"]
    contact = await zoho.insert(
        "Contacts", {"Last_Name": "Kent", "Account_Name": {"id": account_id}}
    )
    contact_id = contact.body["data"][0]["details"]["id"]
    got = await zoho.call("GET", f"/crm/v8/Contacts/{contact_id}")
    assert got.body["data"][0]["Account_Name"] == {"name": "Zylker", "id": account_id}
    bad = await zoho.insert("Contacts", {"Last_Name": "X", "Account_Name": {"id": "1"}})
    assert bad.status == 400
    assert bad.body["data"][0]["details"]["api_name"] == "Account_Name"


async def test_more_than_100_records_is_refused(zoho):
    await zoho.reset()
    reply = await zoho.insert("Contacts", *({"Last_Name": str(n)} for n in range(101)))
    assert (reply.status, reply.body["code"]) == (400, "LIMIT_EXCEEDED")


async def test_update_by_body_and_by_path(zoho, zoho_fixture):
    await zoho.reset()
    created = await zoho.insert("Contacts", {"Last_Name": "Old"})
    record_id = created.body["data"][0]["details"]["id"]
    reply = await zoho.call(
        "PUT",
        "/crm/v8/Contacts",
        json={"data": [{"id": record_id, "Last_Name": "New"}]},
    )
    assert reply.status == 200
    same_shape(
        reply.body["data"][0], zoho_fixture("update.success.response.json")["data"][0]
    )
    assert reply.body["data"][0]["message"] == "record updated"
    reply = await zoho.call(
        "PUT", f"/crm/v8/Contacts/{record_id}", json={"data": [{"First_Name": "Jo"}]}
    )
    assert reply.status == 200
    got = (await zoho.call("GET", f"/crm/v8/Contacts/{record_id}")).body["data"][0]
    assert (got["Full_Name"], got["Last_Name"]) == ("Jo New", "New")


async def test_update_unknown_id_and_clearing_mandatory_field(zoho):
    await zoho.reset()
    created = await zoho.insert("Contacts", {"Last_Name": "Keep"})
    record_id = created.body["data"][0]["details"]["id"]
    reply = await zoho.call(
        "PUT",
        "/crm/v8/Contacts",
        json={
            "data": [
                {"id": "1234567890123456789", "Last_Name": "x"},
                {"id": record_id, "Last_Name": None},
            ]
        },
    )
    assert reply.status == 400
    unknown, cleared = reply.body["data"]
    assert unknown["message"] == "the id given seems to be invalid"
    assert cleared["code"] == "MANDATORY_NOT_FOUND"


async def test_if_unmodified_since_gives_412(zoho):
    await zoho.reset()
    created = await zoho.insert("Contacts", {"Last_Name": "A"})
    details = created.body["data"][0]["details"]
    await zoho.call("POST", "/_sandbox/clock", json={"advance_seconds": 10}, auth=False)
    update = {"data": [{"id": details["id"], "Last_Name": "B"}]}
    ok = await zoho.call(
        "PUT",
        "/crm/v8/Contacts",
        json=update,
        headers={"If-Unmodified-Since": details["Modified_Time"]},
    )
    assert ok.status == 200
    stale = await zoho.call(
        "PUT",
        "/crm/v8/Contacts",
        json=update,
        headers={"If-Unmodified-Since": details["Modified_Time"]},
    )
    assert stale.status == 412
    assert stale.body["data"][0]["code"] == "ALREADY_MODIFIED"


async def test_upsert_updates_on_match_and_inserts_otherwise(zoho, zoho_fixture):
    await zoho.reset()
    created = await zoho.insert("Contacts", {"Last_Name": "A", "Email": "a@x.com"})
    existing = created.body["data"][0]["details"]["id"]
    reply = await zoho.call(
        "POST",
        "/crm/v8/Contacts/upsert",
        json={
            "data": [
                {"Last_Name": "A2", "Email": "A@X.com"},
                {"Last_Name": "New", "Email": "new@x.com"},
            ],
            "duplicate_check_fields": ["Email"],
        },
    )
    assert reply.status == 200
    doc = zoho_fixture("upsert.response.json")["data"]
    same_shape(reply.body["data"][0], doc[0])
    assert [i["action"] for i in reply.body["data"]] == ["update", "insert"]
    assert reply.body["data"][0]["duplicate_field"] == "Email"
    assert reply.body["data"][0]["details"]["id"] == existing
    assert reply.body["data"][1]["duplicate_field"] is None


async def test_upsert_defaults_to_system_unique_and_marker_fields(zoho):
    await zoho.reset()
    await zoho.insert("Products", {"Product_Name": "Bolt", "QuickBooks_Item_Id": "7"})
    reply = await zoho.call(
        "POST",
        "/crm/v8/Products/upsert",
        json={"data": [{"Product_Name": "Renamed", "QuickBooks_Item_Id": "7"}]},
    )
    item = reply.body["data"][0]
    assert (item["action"], item["duplicate_field"]) == ("update", "QuickBooks_Item_Id")


async def test_delete_moves_records_to_the_recycle_bin(zoho, zoho_fixture):
    await zoho.reset()
    ids = []
    for name in ("A", "B", "C"):
        reply = await zoho.insert("Contacts", {"Last_Name": name})
        ids.append(reply.body["data"][0]["details"]["id"])
    reply = await zoho.call("DELETE", f"/crm/v8/Contacts?ids={ids[0]},{ids[1]}")
    assert reply.status == 200
    assert reply.body["data"][0] == {
        "code": "SUCCESS",
        "details": {"id": ids[0]},
        "message": "record deleted",
        "status": "success",
    }
    assert (await zoho.call("DELETE", f"/crm/v8/Contacts/{ids[2]}")).status == 200
    assert (await zoho.call("GET", f"/crm/v8/Contacts/{ids[0]}")).status == 204
    deleted = await zoho.call("GET", "/crm/v8/Contacts/deleted?type=all")
    assert deleted.status == 200
    same_shape(deleted.body, zoho_fixture("deleted.list.response.json"))
    assert {d["id"] for d in deleted.body["data"]} == set(ids)
    assert {d["type"] for d in deleted.body["data"]} == {"recycle"}
    again = await zoho.call("DELETE", f"/crm/v8/Contacts?ids={ids[0]}")
    assert again.status == 400


async def test_recycle_bin_entries_become_permanent_after_60_days(zoho):
    await zoho.reset()
    reply = await zoho.insert("Contacts", {"Last_Name": "Gone"})
    record_id = reply.body["data"][0]["details"]["id"]
    await zoho.call("DELETE", f"/crm/v8/Contacts/{record_id}")
    await zoho.call(
        "POST", "/_sandbox/clock", json={"advance_seconds": 61 * 86400}, auth=False
    )
    await zoho.call("POST", "/_sandbox/tokens/expire", json={}, auth=False)
    tokens = await zoho.call(
        "POST",
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": zoho.creds["client_id"],
            "client_secret": zoho.creds["client_secret"],
            "refresh_token": zoho.creds["refresh_token"],
        },
        auth=False,
    )
    zoho.creds["access_token"] = tokens.body["access_token"]
    assert (
        await zoho.call("GET", "/crm/v8/Contacts/deleted?type=recycle")
    ).status == 204
    permanent = await zoho.call("GET", "/crm/v8/Contacts/deleted?type=permanent")
    entry = permanent.body["data"][0]
    assert (entry["display_name"], entry["deleted_by"]) == (None, None)


async def test_unknown_module_is_invalid_module(zoho):
    await zoho.reset()
    reply = await zoho.call("GET", "/crm/v8/Widgets?fields=Name")
    assert reply.status == 400
    assert reply.body["code"] == "INVALID_MODULE"
