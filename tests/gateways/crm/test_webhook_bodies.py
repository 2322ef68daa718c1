"""POST /webhooks/zoho with malformed bodies: the channel's token first
(401), then Zoho's documented callback shape (400 with a one-line reason),
never a 5xx, and nothing published."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from common.connections import Connections
from services.crm_gateway.webhooks import PATH
from tests.gateways.crm.conftest import TENANT, Sandbox, StartGateway, Tap
from tests.support import holds, wait_for

pytestmark = pytest.mark.sandbox

FIXTURES = Path(__file__).parents[2] / "fixtures" / "zoho"
DEEP = b"[" * 100_000 + b"]" * 100_000


def callback(channel_id: str, token: str, **fields: Any) -> dict[str, Any]:
    """The insert fixture, for Contacts on our channel, ``fields`` replaced."""
    body: dict[str, Any] = json.loads(
        (FIXTURES / "notification.callback.insert.json").read_text()
    )
    body.update(module="Contacts", channel_id=channel_id, token=token, **fields)
    return body


def malformed(channel_id: str, token: str) -> dict[str, bytes]:
    def of(**fields: Any) -> bytes:
        return json.dumps(callback(channel_id, token, **fields)).encode()

    def without(key: str) -> bytes:
        body = callback(channel_id, token)
        del body[key]
        return json.dumps(body).encode()

    return {
        "ids a string": of(ids="12345"),
        "ids a number": of(ids=12345),
        "ids of numbers": of(ids=[1, 2]),
        "ids of objects": of(ids=[{"id": "1"}]),
        "ids missing": without("ids"),
        "module missing": without("module"),
        "operation a list": of(operation=["update"]),
        "server_time missing": without("server_time"),
        "server_time a string": of(server_time="1718117126473"),
        "nested deep in a valid callback": of(extra="@deep@").replace(
            b'"@deep@"', DEEP
        ),
        "nested 100000 deep": DEEP,
        "array of a number": b"[1]",
        "a string": b'"x"',
        "null": b"null",
        "invalid UTF-8": b'{"ids": "\xff\xfe"}',
    }


CASES = sorted(malformed("1", "t"))


async def post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url, data=body, headers={"Content-Type": "application/json"}
        ) as reply,
    ):
        return reply.status, await reply.json(content_type=None)


async def subscribed(
    start_gateway: StartGateway, connections: Connections
) -> tuple[str, str, str]:
    running = await start_gateway()
    running.gateway.channels.notify_url = running.url + PATH
    channel_id = await running.gateway.channels.subscribe(TENANT)
    side = (await connections.require(TENANT)).side("crm")
    assert side.channel_token is not None
    return running.url + PATH, channel_id, side.channel_token.get_secret_value()


def assert_one_line_reason(answer: dict[str, Any]) -> None:
    reason = answer["error"]
    assert isinstance(reason, str)
    assert 0 < len(reason) <= 400
    assert "\n" not in reason
    assert "Traceback" not in reason


@pytest.mark.parametrize("case", CASES)
async def test_a_malformed_callback_is_400_and_publishes_nothing(
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    case: str,
) -> None:
    url, channel_id, token = await subscribed(start_gateway, connected)
    status, answer = await post(url, malformed(channel_id, token)[case])
    assert status == 400, answer
    assert_one_line_reason(answer)
    await asyncio.sleep(0.3)  # time for anything wrongly published to arrive
    assert tap.messages == []


async def test_without_the_token_the_shape_is_not_examined(
    zoho: Sandbox, connected: Connections, start_gateway: StartGateway, tap: Tap
) -> None:
    url, channel_id, token = await subscribed(start_gateway, connected)
    for body in (
        {},
        {"ids": "12345", "channel_id": channel_id},
        {"ids": "12345", "channel_id": channel_id, "token": token + "x"},
        {"ids": ["1"], "channel_id": [channel_id], "token": token},
        {"ids": ["1"], "channel_id": channel_id, "token": [token]},
    ):
        status, answer = await post(url, json.dumps(body).encode())
        assert status == 401, (body, answer)
        assert_one_line_reason(answer)
    await asyncio.sleep(0.3)
    assert tap.messages == []


async def test_both_documented_callbacks_are_still_accepted(
    zoho: Sandbox, connected: Connections, start_gateway: StartGateway, tap: Tap
) -> None:
    url, channel_id, token = await subscribed(start_gateway, connected)
    for name in ("insert", "update"):
        body = json.loads((FIXTURES / f"notification.callback.{name}.json").read_text())
        body.update(channel_id=channel_id, token=token)
        assert (await post(url, json.dumps(body).encode()))[0] == 200  # Leads: ignored
        body.update(module="Contacts", ids=["123", " ", "456"], operation="delete")
        assert (await post(url, json.dumps(body).encode()))[0] == 200
    # Two deliveries (different server_time), two deleted changes per id.
    expected = ["123", "123", "456", "456"]
    await wait_for(lambda: holds(sorted(tap.ids()) == expected))
    assert all(m.deleted for m in tap.of("change"))
