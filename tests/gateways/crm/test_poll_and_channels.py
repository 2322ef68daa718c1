"""poll.crm.*: modified-since and deleted lists, watermark moved only after
the changes are confirmed; the notification channel and its renewal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common.bus import Bus
from common.bus.dead_letters import DEAD_LETTERS
from common.connections import Connections
from common.gateway.cursors import Cursors
from common.store import Store
from services.crm_gateway.client import parse_time
from services.crm_gateway.webhooks import PATH
from tests.gateways.crm.conftest import (
    TENANT,
    Sandbox,
    StartGateway,
    envelope,
    open_tap,
)
from tests.support import holds, wait_for

pytestmark = pytest.mark.sandbox


async def test_poll_advances_the_watermark_only_after_publishing(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    bus: Bus,
    store: Store,
) -> None:
    cursors = Cursors(store)
    start = datetime.now(UTC) - timedelta(minutes=5)
    await cursors.advance_watermark(TENANT, "crm", "contact", start, 0)
    status, body = await zoho.api(
        "POST",
        "/Contacts",
        json={
            "data": [
                {"Last_Name": f"Polled {n}", "Email": f"q{n}@x.io"} for n in range(3)
            ]
        },
    )
    ids = [item["details"]["id"] for item in body["data"]]
    status, _ = await zoho.api("DELETE", "/Contacts", params={"ids": ids[2]})
    assert status == 200
    await start_gateway()

    # Nothing is bound to change.crm.*: every publish is refused, so the poll
    # fails (and is dead-lettered after its retries) without moving anything.
    await bus.publish(envelope("poll", "contact"))
    dead = store.db[DEAD_LETTERS]
    await wait_for(lambda: _count(dead), 15)
    assert await cursors.watermark(TENANT, "crm", "contact") == start

    async with open_tap(bus) as tap:
        await bus.publish(envelope("poll", "*"))
        await wait_for(lambda: holds({*ids} <= {*tap.ids()}), 15)
        watermark = await cursors.watermark(TENANT, "crm", "contact")
        assert watermark is not None
        assert watermark > start
        changes = {m.external_id: m for m in tap.of("change")}
        assert changes[ids[2]].deleted
        assert changes[ids[0]].payload["source"] == "poll"
        status, body = await zoho.api("GET", f"/Contacts/{ids[1]}")
        assert watermark >= parse_time(body["data"][0]["Modified_Time"])


async def _count(collection: Any) -> bool:
    return await collection.count_documents({}) >= 1


async def test_channel_subscribed_and_renewed_before_expiry(
    zoho: Sandbox, connected: Connections, start_gateway: StartGateway
) -> None:
    running = await start_gateway(background=True, notify_url="http://127.0.0.1:9/hook")
    await wait_for(lambda: _has_channel(connected), 10)  # the job subscribed one
    side = (await connected.require(TENANT)).side("crm")
    assert side.channel_id
    assert side.channel_token
    assert side.channel_expires_at
    assert side.channel_expires_at - datetime.now(UTC) > timedelta(days=6)
    _status, body = await zoho.api("GET", "/actions/watch")
    assert {c["channel_id"] for c in body["watch"]} == {side.channel_id}
    events = {e for c in body["watch"] for e in c["events"]}
    assert events == {
        f"{m}.all"
        for m in ("Contacts", "Accounts", "Products", "Invoices", "Quotes", "Vendors")
    }

    # Less than a day left: renewed, same channel and token.
    soon = datetime.now(UTC) + timedelta(hours=3)
    token = side.channel_token.get_secret_value()
    await connected.set_channel(TENANT, side.channel_id, token, soon)
    channels = running.gateway.channels
    assert await channels.check_all() == 1
    renewed = (await connected.require(TENANT)).side("crm")
    assert renewed.channel_id == side.channel_id
    assert renewed.channel_expires_at
    assert renewed.channel_expires_at > soon + timedelta(days=5)
    assert await channels.check_all() == 0  # nothing due

    # A channel Zoho forgot (lapsed) is replaced by a new one.
    _status, _ = await zoho.api(
        "DELETE", "/actions/watch", params={"channel_ids": side.channel_id}
    )
    await connected.set_channel(TENANT, side.channel_id, token, soon)
    assert await channels.check_all() == 1
    replaced = (await connected.require(TENANT)).side("crm")
    assert replaced.channel_id != side.channel_id
    _status, body = await zoho.api("GET", "/actions/watch")
    assert {c["channel_id"] for c in body["watch"]} == {replaced.channel_id}
    assert PATH == "/webhooks/zoho"


async def _has_channel(connections: Connections) -> bool:
    side = (await connections.require(TENANT)).side("crm")
    return side.channel_id is not None
