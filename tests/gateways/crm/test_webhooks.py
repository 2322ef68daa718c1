"""POST /webhooks/zoho: token check, limits, and a callback all the way to a
canonical change on the bus."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from common.connections import Connections
from services.crm_gateway.webhooks import MAX_BODY, PATH
from tests.gateways.crm.conftest import TENANT, Sandbox, StartGateway, Tap
from tests.support import holds, wait_for

pytestmark = pytest.mark.sandbox


async def post(url: str, body: bytes | dict[str, Any]) -> int:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url, data=data, headers={"Content-Type": "application/json"}
        ) as reply,
    ):
        return reply.status


async def subscribed(
    start_gateway: StartGateway, connections: Connections
) -> tuple[str, str, str]:
    running = await start_gateway()
    running.gateway.channels.notify_url = running.url + PATH
    channel_id = await running.gateway.channels.subscribe(TENANT)
    side = (await connections.require(TENANT)).side("crm")
    assert side.channel_token is not None
    return running.url + PATH, channel_id, side.channel_token.get_secret_value()


async def test_callback_is_fetched_and_published_as_a_canonical_change(
    zoho: Sandbox, connected: Connections, start_gateway: StartGateway, tap: Tap
) -> None:
    await subscribed(start_gateway, connected)
    status, body = await zoho.api(
        "POST",
        "/Contacts",
        json={
            "data": [
                {"Last_Name": "Lovelace", "First_Name": "Ada", "Email": "ada@x.io"}
            ]
        },
    )
    assert status == 201
    new_id = body["data"][0]["details"]["id"]
    await wait_for(lambda: holds(new_id in tap.ids()))
    [change] = [m for m in tap.of("change") if m.external_id == new_id]
    assert change.entity == "contact"
    assert change.payload["source"] == "webhook"
    assert change.payload["record"]["email"] == "ada@x.io"
    assert change.payload["record"]["last_name"] == "Lovelace"
    assert change.version is not None


async def test_bad_or_missing_token_is_refused_and_nothing_published(
    zoho: Sandbox, connected: Connections, start_gateway: StartGateway, tap: Tap
) -> None:
    url, channel_id, token = await subscribed(start_gateway, connected)
    callback = {
        "module": "Contacts",
        "ids": ["1"],
        "operation": "update",
        "channel_id": channel_id,
        "server_time": 1,
    }
    wrong = token[:-1] + ("y" if token.endswith("x") else "x")  # one char off
    assert await post(url, {**callback, "token": wrong}) == 401
    assert await post(url, callback) == 401
    assert await post(url, {**callback, "token": token, "channel_id": "999"}) == 401
    assert await post(url, b"{not json") == 400
    assert await post(url, b"x" * (MAX_BODY + 10)) == 413
    await asyncio.sleep(0.5)  # give anything wrongly published time to arrive
    assert tap.messages == []


async def test_duplicate_and_replayed_callbacks_are_harmless(
    zoho: Sandbox, connected: Connections, start_gateway: StartGateway, tap: Tap
) -> None:
    url, channel_id, token = await subscribed(start_gateway, connected)
    _status, body = await zoho.api(
        "POST", "/Contacts", json={"data": [{"Last_Name": "Hopper", "Email": "g@x.io"}]}
    )
    record_id = body["data"][0]["details"]["id"]
    await wait_for(lambda: holds(record_id in tap.ids()))
    callback = {
        "server_time": 1718117126473,
        "module": "Contacts",
        "ids": [record_id],
        "operation": "update",
        "channel_id": channel_id,
        "token": token,
    }
    before = event_ids(tap)
    for _ in range(3):
        assert await post(url, callback) == 200
    await wait_for(lambda: holds(len(event_ids(tap)) == len(before) + 1))
    await asyncio.sleep(0.5)
    # Replays carry the same event id: the gateway's inbox drops the fetch
    # once it has run, and a copy processed concurrently emits the same
    # change id, which the matcher's inbox drops.
    assert len(event_ids(tap)) == len(before) + 1


def event_ids(tap: Tap) -> set[str]:
    return {str(m.event_id) for m in tap.of("change")}


async def test_delete_callback_publishes_deleted_changes(
    zoho: Sandbox, connected: Connections, start_gateway: StartGateway, tap: Tap
) -> None:
    url, channel_id, token = await subscribed(start_gateway, connected)
    callback = {
        "server_time": 5,
        "module": "Contacts",
        "ids": ["123", "456"],
        "operation": "delete",
        "channel_id": channel_id,
        "token": token,
    }
    assert await post(url, callback) == 200
    await wait_for(lambda: holds(sorted(tap.ids()) == ["123", "456"]))
    assert all(m.deleted for m in tap.of("change"))
