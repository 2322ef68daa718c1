"""GET list paging (page/per_page to 2000, then page_token), sorting, ids,
If-Modified-Since, GET one, count."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.sandbox
FIELDS = "fields=Last_Name,Email,Modified_Time"


async def read_all_pages(zoho, query):
    ids: list[str] = []
    page, token = 1, None
    while True:
        params = f"page_token={token}" if token else f"page={page}"
        reply = await zoho.call(
            "GET", f"/crm/v8/Contacts?{query}&per_page=200&{params}"
        )
        if reply.status == 204:
            return ids, reply
        ids += [record["id"] for record in reply.body["data"]]
        info = reply.body["info"]
        if not info["more_records"]:
            return ids, reply
        if page < 10 and not token:
            page += 1
        else:
            token = info["next_page_token"]


async def test_fields_parameter_is_required(zoho):
    await zoho.reset(contacts=3)
    reply = await zoho.call("GET", "/crm/v8/Contacts")
    assert reply.status == 400
    assert reply.body["code"] == "REQUIRED_PARAM_MISSING"
    too_many = ",".join(["Last_Name"] * 51)
    reply = await zoho.call("GET", f"/crm/v8/Contacts?fields={too_many}")
    assert reply.status == 400


async def test_list_shape_matches_the_docs(zoho, zoho_fixture):
    await zoho.reset(contacts=7, accounts=2)
    reply = await zoho.call(
        "GET", "/crm/v8/Contacts?fields=First_Name,Last_Name,Account_Name&per_page=5"
    )
    assert reply.status == 200
    doc = zoho_fixture("leads.list.response.json")
    assert set(reply.body["info"]) == set(doc["info"])
    info = reply.body["info"]
    assert (info["count"], info["per_page"], info["more_records"]) == (5, 5, True)
    assert (info["sort_by"], info["sort_order"]) == ("id", "desc")
    first = reply.body["data"][0]
    assert set(first) == {"First_Name", "Last_Name", "Account_Name", "id"}
    assert set(first["Account_Name"]) == {"name", "id"}
    ids = [int(r["id"]) for r in reply.body["data"]]
    assert ids == sorted(ids, reverse=True)


async def test_exactly_2000_records_fit_in_ten_pages(zoho):
    await zoho.reset(contacts=2000)
    reply = await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}&page=10&per_page=200")
    assert reply.status == 200
    assert reply.body["info"]["count"] == 200
    assert reply.body["info"]["more_records"] is False
    assert reply.body["info"]["next_page_token"] is None
    beyond = await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}&page=11&per_page=200")
    assert beyond.status == 400
    assert beyond.body["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"


async def test_2001_records_need_a_page_token_for_the_last_one(zoho):
    await zoho.reset(contacts=2001)
    page10 = await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}&page=10&per_page=200")
    info = page10.body["info"]
    assert info["more_records"] is True
    assert info["next_page_token"]
    last = await zoho.call(
        "GET", f"/crm/v8/Contacts?{FIELDS}&page_token={info['next_page_token']}"
    )
    assert last.status == 200
    assert last.body["info"]["count"] == 1
    assert last.body["info"]["more_records"] is False
    ids, _ = await read_all_pages(zoho, FIELDS)
    assert len(ids) == len(set(ids)) == 2001


async def test_page_token_is_bound_to_its_query(zoho):
    await zoho.reset(contacts=5)
    first = await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}&per_page=2")
    token = first.body["info"]["next_page_token"]
    other = await zoho.call(
        "GET", f"/crm/v8/Contacts?fields=Last_Name&per_page=2&page_token={token}"
    )
    assert other.body["code"] == "TOKEN_BOUND_DATA_MISMATCH"


async def test_per_page_over_200_is_refused_and_empty_page_is_204(zoho):
    await zoho.reset(contacts=3)
    reply = await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}&per_page=201")
    assert reply.status == 400
    reply = await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}&page=2")
    assert reply.status == 204
    await zoho.reset()
    assert (await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}")).status == 204


async def test_sort_by_modified_time_ascending(zoho):
    await zoho.reset(contacts=50)
    reply = await zoho.call(
        "GET",
        f"/crm/v8/Contacts?{FIELDS}&sort_by=Modified_Time&sort_order=asc&per_page=50",
    )
    times = [r["Modified_Time"] for r in reply.body["data"]]
    assert times == sorted(times)
    bad = await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}&sort_by=Last_Name")
    assert bad.status == 400


async def test_if_modified_since_filters_and_answers_304(zoho):
    await zoho.reset(contacts=20)
    await zoho.call("POST", "/_sandbox/clock", json={"advance_seconds": 5}, auth=False)
    created = await zoho.insert("Contacts", {"Last_Name": "Fresh"})
    stamp = created.body["data"][0]["details"]["Modified_Time"]
    one_second_before = stamp[:17] + f"{int(stamp[17:19]) - 1:02d}" + stamp[19:]
    if int(stamp[17:19]) == 0:
        pytest.skip("landed on a minute boundary")
    reply = await zoho.call(
        "GET",
        f"/crm/v8/Contacts?{FIELDS}",
        headers={"If-Modified-Since": one_second_before},
    )
    assert reply.status == 200
    assert [r["Last_Name"] for r in reply.body["data"]] == ["Fresh"]
    none = await zoho.call(
        "GET", f"/crm/v8/Contacts?{FIELDS}", headers={"If-Modified-Since": stamp}
    )
    assert none.status == 304


async def test_ids_parameter_and_get_one(zoho):
    await zoho.reset(contacts=10, accounts=3)
    listing = await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}&per_page=3")
    wanted = [r["id"] for r in listing.body["data"]][:2]
    reply = await zoho.call("GET", f"/crm/v8/Contacts?{FIELDS}&ids={','.join(wanted)}")
    assert sorted(r["id"] for r in reply.body["data"]) == sorted(wanted)
    one = await zoho.call("GET", f"/crm/v8/Contacts/{wanted[0]}")
    record = one.body["data"][0]
    assert record["id"] == wanted[0]
    assert record["QuickBooks_Customer_Id"] is None
    assert set(record["Owner"]) == {"name", "id", "email"}
    assert record["$approval_state"] == "approved"


async def test_get_one_invoice_includes_line_items_but_list_does_not(zoho):
    await zoho.reset(contacts=5, products=5, invoices=3)
    listing = await zoho.call("GET", "/crm/v8/Invoices?fields=Subject,Invoiced_Items")
    assert "Invoiced_Items" not in listing.body["data"][0]
    record_id = listing.body["data"][0]["id"]
    one = await zoho.call("GET", f"/crm/v8/Invoices/{record_id}")
    rows = one.body["data"][0]["Invoiced_Items"]
    assert rows
    assert {
        "Product_Name",
        "Quantity",
        "List_Price",
        "Net_Total",
        "id",
    } <= set(rows[0])


async def test_count(zoho):
    await zoho.reset(contacts=12, products=4)
    assert (await zoho.call("GET", "/crm/v8/Contacts/actions/count")).body == {
        "count": 12
    }
    assert (await zoho.call("GET", "/crm/v8/Products/actions/count")).body == {
        "count": 4
    }


async def test_seed_is_deterministic_and_fast(zoho):
    import time

    started = time.monotonic()
    first = await zoho.reset(
        seed=7,
        contacts=1000,
        accounts=300,
        products=200,
        invoices=3000,
        quotes=300,
        vendors=50,
    )
    assert time.monotonic() - started < 3
    a = await zoho.call("GET", "/crm/v8/Contacts?fields=Full_Name,Email,Mailing_City")
    second = await zoho.reset(
        seed=7,
        contacts=1000,
        accounts=300,
        products=200,
        invoices=3000,
        quotes=300,
        vendors=50,
    )
    b = await zoho.call("GET", "/crm/v8/Contacts?fields=Full_Name,Email,Mailing_City")
    assert first["client_id"] == second["client_id"]
    assert a.body["data"] == b.body["data"]
    assert "@" in a.body["data"][0]["Email"]
    assert second["counts"]["Invoices"] == 3000
