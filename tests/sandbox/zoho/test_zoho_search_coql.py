"""Search (criteria, email, word) and COQL for modified-since reads."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.sandbox


async def seed_people(zoho):
    await zoho.reset()
    people = [
        {"First_Name": "Bill", "Last_Name": "Burns", "Email": "bill@burns.com"},
        {"First_Name": "Bob", "Last_Name": "Burns", "Email": "bob@burns.com"},
        {"First_Name": "Amy", "Last_Name": "Lee (Jr)", "Email": "amy@lee.com"},
    ]
    reply = await zoho.insert("Contacts", *people)
    return [item["details"]["id"] for item in reply.body["data"]]


async def test_search_by_criteria(zoho, zoho_fixture):
    await seed_people(zoho)
    reply = await zoho.call(
        "GET",
        "/crm/v8/Contacts/search",
        params={"criteria": "((Last_Name:equals:Burns)and(First_Name:starts_with:Bi))"},
    )
    assert reply.status == 200
    assert [r["First_Name"] for r in reply.body["data"]] == ["Bill"]
    doc_info = zoho_fixture("leads.search.criteria.response.json")["info"]
    assert set(reply.body["info"]) == set(doc_info)


async def test_search_or_in_and_escaped_values(zoho):
    await seed_people(zoho)
    either = await zoho.call(
        "GET",
        "/crm/v8/Contacts/search",
        params={"criteria": "(First_Name:in:Bob,Amy)", "fields": "First_Name"},
    )
    assert sorted(r["First_Name"] for r in either.body["data"]) == ["Amy", "Bob"]
    escaped = await zoho.call(
        "GET",
        "/crm/v8/Contacts/search",
        params={"criteria": r"(Last_Name:equals:Lee \(Jr\))"},
    )
    assert [r["First_Name"] for r in escaped.body["data"]] == ["Amy"]
    orred = await zoho.call(
        "GET",
        "/crm/v8/Contacts/search",
        params={"criteria": "((First_Name:equals:Amy)or(First_Name:equals:Bob))"},
    )
    assert len(orred.body["data"]) == 2


async def test_search_by_email_and_word_and_none_found(zoho):
    ids = await seed_people(zoho)
    by_email = await zoho.call("GET", "/crm/v8/Contacts/search?email=BOB@burns.com")
    assert [r["id"] for r in by_email.body["data"]] == [ids[1]]
    by_word = await zoho.call("GET", "/crm/v8/Contacts/search?word=burns")
    assert len(by_word.body["data"]) == 2
    none = await zoho.call("GET", "/crm/v8/Contacts/search?email=nobody@x.com")
    assert none.status == 204


async def test_search_bad_criteria_and_unknown_field(zoho):
    await seed_people(zoho)
    bad = await zoho.call("GET", "/crm/v8/Contacts/search?criteria=(Last_Name:likes:x)")
    assert (bad.status, bad.body["code"]) == (400, "INVALID_QUERY")
    unknown = await zoho.call("GET", "/crm/v8/Contacts/search?criteria=(Nope:equals:x)")
    assert unknown.status == 400
    missing = await zoho.call("GET", "/crm/v8/Contacts/search")
    assert missing.body["code"] == "REQUIRED_PARAM_MISSING"


async def coql(zoho, query):
    return await zoho.call("POST", "/crm/v8/coql", json={"select_query": query})


async def test_coql_modified_since_shape(zoho, zoho_fixture):
    ids = await seed_people(zoho)
    reply = await coql(
        zoho,
        "select Last_Name, First_Name, Email, Modified_Time from Contacts "
        "where Modified_Time >= '2000-01-01T00:00:00+00:00' "
        "order by Modified_Time asc limit 0, 2",
    )
    assert reply.status == 200
    assert reply.body["info"] == {"count": 2, "more_records": True}
    assert set(reply.body["info"]) == set(
        zoho_fixture("coql.contacts.response.json")["info"]
    )
    assert [r["id"] for r in reply.body["data"]] == ids[:2]
    assert set(reply.body["data"][0]) == {
        "Last_Name",
        "First_Name",
        "Email",
        "Modified_Time",
        "id",
    }


async def test_coql_pages_through_with_offset(zoho):
    await zoho.reset(contacts=450)
    seen = []
    offset = 0
    while True:
        reply = await coql(
            zoho,
            "select Last_Name, Modified_Time from Contacts where id is not null "
            f"order by Modified_Time asc, id asc limit {offset}, 200",
        )
        seen += [r["id"] for r in reply.body["data"]]
        if not reply.body["info"]["more_records"]:
            break
        offset += 200
    assert len(seen) == len(set(seen)) == 450


async def test_coql_2000_rows_limit_and_credits(zoho):
    await zoho.reset(contacts=2001)
    full = await coql(
        zoho, "select Last_Name from Contacts where id is not null limit 2000"
    )
    assert full.body["info"] == {"count": 2000, "more_records": True}
    over = await coql(
        zoho, "select Last_Name from Contacts where id is not null limit 2001"
    )
    assert (over.status, over.body["code"]) == (400, "LIMIT_EXCEEDED")
    stats = await zoho.call("GET", "/_sandbox/stats", auth=False)
    assert stats.body["credits_used"]["default"] == 3  # 1001-2000 rows cost 3


async def test_coql_operators(zoho):
    await seed_people(zoho)
    cases = {
        "Last_Name = 'Burns' and First_Name like 'Bo%'": ["Bob"],
        "First_Name in ('Amy', 'Bill')": ["Bill", "Amy"],
        "First_Name not in ('Amy', 'Bill')": ["Bob"],
        "(Email like '%lee%' or First_Name = 'Bill')": ["Bill", "Amy"],
        "Phone is null and First_Name != 'Bob'": ["Bill", "Amy"],
    }
    for where, expected in cases.items():
        reply = await coql(zoho, f"select First_Name from Contacts where {where}")
        assert [r["First_Name"] for r in reply.body["data"]] == expected, where


async def test_coql_errors_and_no_rows(zoho):
    await seed_people(zoho)
    no_where = await coql(zoho, "select Last_Name from Contacts")
    assert (no_where.status, no_where.body["code"]) == (400, "SYNTAX_ERROR")
    garbage = await coql(zoho, "select from where")
    assert garbage.body["code"] == "SYNTAX_ERROR"
    bad_column = await coql(zoho, "select Nope from Contacts where id is not null")
    assert bad_column.body["code"] == "INVALID_QUERY"
    none = await coql(zoho, "select Last_Name from Contacts where Last_Name = 'Zed'")
    assert none.status == 204


async def test_coql_lookup_returns_id_and_dotted_name(zoho):
    await zoho.reset(contacts=3, accounts=2)
    reply = await coql(
        zoho,
        "select Account_Name, Account_Name.Account_Name from Contacts "
        "where Account_Name is not null limit 1",
    )
    row = reply.body["data"][0]
    assert set(row["Account_Name"]) == {"id"}
    assert isinstance(row["Account_Name.Account_Name"], str)
