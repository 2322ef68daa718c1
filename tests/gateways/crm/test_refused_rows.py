"""One Zoho record the gateway cannot translate never blocks its neighbours,
and is never dropped out of sight: poll and backfill publish the good ones,
the bad one is one dead letter naming it (however often it is read), and the
watermark and the backfill cursor move on. Here the bad record is a quote
whose line tax has no name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from common.bus import Bus, DeadLetters
from common.connections import Connections
from common.gateway.cursors import Cursors
from common.store import Store
from tests.gateways.crm.conftest import TENANT, Sandbox, StartGateway, Tap, envelope
from tests.support import wait_for

pytestmark = pytest.mark.sandbox


async def insert(zoho: Sandbox, module: str, record: dict[str, object]) -> str:
    status, body = await zoho.api("POST", f"/{module}", json={"data": [record]})
    assert status == 201, body
    return str(body["data"][0]["details"]["id"])


async def test_a_bad_quote_is_dead_lettered_once_and_reads_go_on(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    bus: Bus,
    store: Store,
    tap: Tap,
) -> None:
    cursors = Cursors(store)
    start = datetime.now(UTC) - timedelta(minutes=5)
    await cursors.advance_watermark(TENANT, "crm", "quote", start, 0)
    contact = await insert(zoho, "Contacts", {"Last_Name": "Quoted"})
    product = await insert(zoho, "Products", {"Product_Name": "Quotable"})

    def quote(subject: str, **line: object) -> dict[str, object]:
        item = {"Product_Name": {"id": product}, "Quantity": 1, "List_Price": 10}
        return {
            "Subject": subject,
            "Contact_Name": {"id": contact},
            "Quoted_Items": [{**item, **line}],
        }

    status, body = await zoho.api(
        "POST",
        "/Quotes",
        json={"data": [quote("Good"), quote("Bad", Line_Tax=[{"percentage": 5}])]},
    )
    assert status in (200, 201), body
    good, bad = (str(item["details"]["id"]) for item in body["data"])
    await start_gateway()
    dead = DeadLetters(store, bus)

    async def good_seen(times: int) -> bool:
        return tap.ids().count(good) >= times

    for n in (1, 2):  # each poll reads the bad one again
        await bus.publish(envelope("poll", "quote", payload={"n": n}))
        await wait_for(partial(good_seen, n))
    await bus.publish(
        envelope("backfill", "quote", payload={"since": "2000-01-01", "run_id": "r1"})
    )

    async def backfilled() -> bool:
        cursor = await cursors.backfill(TENANT, "crm", "quote")
        return bool(cursor) and cursor.get("status") == "done"

    await wait_for(backfilled)
    assert bad not in tap.ids()
    refused = await dead.list({"tenant": TENANT}, limit=10)
    assert [r["external_id"] for r in refused] == [bad]
    assert refused[0]["entity"] == "quote"
    assert "Zoho Quotes" in refused[0]["reason"]
    assert "(Bad)" in refused[0]["reason"]
    assert refused[0]["routing_key"] == "fetch.crm.quote"
    watermark = await cursors.watermark(TENANT, "crm", "quote")
    assert watermark is not None
    assert watermark > start
