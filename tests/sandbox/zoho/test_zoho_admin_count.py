"""`GET /_sandbox/count`: records, a filled field and matching emails of
one org, counted without spending credits."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.sandbox
MARKER = "QuickBooks_Customer_Id"


async def test_count_sees_records_markers_and_emails_without_credits(zoho):
    await zoho.reset(contacts=4)
    other_org = {"org": "other", "contacts": 2}
    await zoho.call("POST", "/_sandbox/reset", json=other_org, auth=False)
    reply = await zoho.insert(
        "Contacts",
        {"Last_Name": "Lat", "Email": "p@lat-1.test", MARKER: "58"},
        {"Last_Name": "Lat", "Email": "q@lat-2.test"},
    )
    assert reply.status == 201, reply.body
    await zoho.call("POST", "/_sandbox/stats/reset", auth=False)
    query = f"/_sandbox/count?module=contacts&filled={MARKER}&email_contains=@LAT-"
    answer = (await zoho.call("GET", query, auth=False)).body
    assert answer == {
        "count": 6,
        "distinct_emails": 6,
        "filled": 1,
        "matching": ["p@lat-1.test", "q@lat-2.test"],
        "matching_filled": 1,
    }
    other = (await zoho.call("GET", "/_sandbox/count?org=other", auth=False)).body
    assert (other["count"], other["filled"], other["matching"]) == (2, 0, [])
    missing = await zoho.call("GET", "/_sandbox/count?org=nobody", auth=False)
    assert missing.status == 404
    stats = (await zoho.call("GET", "/_sandbox/stats", auth=False)).body
    assert stats["api_calls"] == 0
    assert stats["credits_used"] == {}
