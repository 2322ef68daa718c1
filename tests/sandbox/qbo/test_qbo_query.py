"""The query language, its pagination edges and its parse errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Qbo

pytestmark = pytest.mark.sandbox


async def names(qbo: Qbo, where: str) -> list[str]:
    body = await qbo.query(f"select * from Customer {where}")
    return [c["DisplayName"] for c in body.get("Customer", [])]


async def make(qbo: Qbo, *display_names: str) -> None:
    for name in display_names:
        await qbo.create("Customer", {"DisplayName": name, "Notes": name})


async def test_operators_like_in_and_order(qbo: Qbo) -> None:
    await make(qbo, "Amy's Bird Sanctuary", "Bill's Windsurf Shop", "Cool Cars")
    assert await names(qbo, "where DisplayName = 'Amy\\'s Bird Sanctuary'") == [
        "Amy's Bird Sanctuary"
    ]
    assert await names(
        qbo, "where DisplayName LIKE '%s%' ORDERBY DisplayName DESC"
    ) == ["Cool Cars", "Bill's Windsurf Shop", "Amy's Bird Sanctuary"]
    assert await names(qbo, "WHERE DisplayName IN ('Cool Cars', 'nobody')") == [
        "Cool Cars"
    ]
    assert await names(qbo, "where DisplayName > 'B' and DisplayName < 'C'") == [
        "Bill's Windsurf Shop"
    ]
    assert await names(qbo, "where Id = '2'") == ["Bill's Windsurf Shop"]
    assert await names(qbo, "where displayname like 'cool%'") == ["Cool Cars"]


async def test_count_and_active_only_default(qbo: Qbo) -> None:
    await make(qbo, "A", "B", "C")
    off = {"Id": "2", "SyncToken": "0", "sparse": True, "Active": False}
    await qbo.ok(await qbo.post("customer", off))
    assert await qbo.query("select count(*) from Customer") == {"totalCount": 2}
    every = "select COUNT(*) from Customer where Active IN (true, false)"
    assert await qbo.query(every) == {"totalCount": 3}
    assert await names(qbo, "where Active = false") == ["B"]


async def test_metadata_filters_and_empty_result(qbo: Qbo) -> None:
    await make(qbo, "Old")
    await qbo.admin("clock", {"advance_seconds": 120})
    await make(qbo, "New")
    old = (await qbo.query("select * from Customer where Id = '1'"))["Customer"][0]
    since = old["MetaData"]["LastUpdatedTime"]
    assert await names(qbo, f"where MetaData.LastUpdatedTime > '{since}'") == ["New"]
    assert await names(qbo, f"where Metadata.LastUpdatedTime >= '{since}'") == [
        "Old",
        "New",
    ]
    assert await names(qbo, "where MetaData.CreateTime < '2001-01-01'") == []
    response = await qbo.ok(
        await qbo.get("query", query="select * from Customer where Id = '99'")
    )
    assert response["QueryResponse"] == {}


async def test_shapes_match_the_samples(qbo: Qbo, fixture: Any) -> None:
    await qbo.reset(customers=3, invoices=2)
    customers = await qbo.query("select * from Customer maxresults 2")
    assert set(customers) == set(
        fixture("customer.query.response.json")["QueryResponse"]
    )
    assert customers["startPosition"] == 1
    assert customers["maxResults"] == 2
    invoices = await qbo.query("select * from Invoice where Id = '1'")
    assert set(invoices) == set(fixture("invoice.query.response.json")["QueryResponse"])


async def test_post_query_as_application_text(qbo: Qbo) -> None:
    await make(qbo, "Posted")
    response = await qbo.session.post(
        qbo.url("query"),
        data="select * from Customer",
        headers={**qbo.headers(), "Content-Type": "application/text"},
        params={"minorversion": "75"},
    )
    assert (await qbo.ok(response))["QueryResponse"]["Customer"][0][
        "DisplayName"
    ] == "Posted"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "4000"),
        ("select * from Customer where DisplayName = 'Cutlery 'R Us'", "4000"),
        ("select * from Customer where DisplayName = 'a' or Id = '1'", "4000"),
        ("selec * from Customer", "4000"),
        ("select * from Customer where Nonsense = '1'", "4001"),
        ("select * from Customer where Id > '1'", "4001"),
        ("select * from Widget", "4001"),
    ],
)
async def test_bad_queries(qbo: Qbo, text: str, code: str) -> None:
    error = await qbo.fault(await qbo.get("query", query=text))
    assert error["code"] == code
    if code == "4000":
        assert error["Message"] == "Error parsing query"
        assert error["Detail"].startswith("QueryParserError: ")


async def test_pagination_edges(qbo: Qbo) -> None:
    await qbo.reset(customers=2001)
    default = await qbo.query("select * from Customer")
    assert default["maxResults"] == 100
    first = await qbo.query("select * from Customer STARTPOSITION 1 MAXRESULTS 1000")
    second = await qbo.query(
        "select * from Customer STARTPOSITION 1001 MAXRESULTS 1000"
    )
    third = await qbo.query("select * from Customer STARTPOSITION 2001 MAXRESULTS 1000")
    assert (first["maxResults"], second["maxResults"], third["maxResults"]) == (
        1000,
        1000,
        1,
    )
    ids = [c["Id"] for page in (first, second, third) for c in page["Customer"]]
    assert len(set(ids)) == 2001
    assert second["startPosition"] == 1001
    assert await qbo.query("select * from Customer STARTPOSITION 2002") == {}
    capped = await qbo.query("select * from Customer MAXRESULTS 5000")
    assert capped["maxResults"] == 1000
    swapped = await qbo.query("select * from Customer MAXRESULTS 10 STARTPOSITION 1996")
    assert swapped["maxResults"] == 6


async def test_exactly_one_thousand_and_two_thousand(qbo: Qbo) -> None:
    await qbo.reset(customers=2000)
    assert await qbo.query("select count(*) from Customer") == {"totalCount": 2000}
    page = await qbo.query("select * from Customer startposition 1001 maxresults 1000")
    assert page["maxResults"] == 1000
    assert (
        await qbo.query("select * from Customer startposition 2001 maxresults 1000")
        == {}
    )
    await qbo.reset(customers=1000)
    page = await qbo.query("select * from Customer maxresults 1000")
    assert page["maxResults"] == 1000
    assert await qbo.query("select * from Customer startposition 1001") == {}
