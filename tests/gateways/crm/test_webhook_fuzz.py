"""Seeded fuzz of POST /webhooks/zoho: 300 mutants of the documented
callbacks (keys dropped, types changed, lists wrapped, deep nesting, bytes
spoiled). Whatever arrives, the answer is never a 5xx; a body that still
carries our channel and token is answered 200 or 400, never 401."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from common.connections import Connections
from tests.gateways.body_mutations import mutants
from tests.gateways.crm.conftest import Sandbox, StartGateway, Tap
from tests.gateways.crm.test_webhook_bodies import subscribed

pytestmark = pytest.mark.sandbox

FIXTURES = Path(__file__).parents[2] / "fixtures" / "zoho"
SEED = 20_260_512
COUNT = 300


def seeds(channel_id: str, token: str) -> list[dict[str, Any]]:
    bodies = []
    for name in ("insert", "update"):
        body = json.loads((FIXTURES / f"notification.callback.{name}.json").read_text())
        body.update(channel_id=channel_id, token=token)
        bodies += [body, {**body, "module": "Contacts"}]
        bodies.append({**body, "module": "Products", "operation": "delete"})
    return bodies


async def test_no_mutant_of_a_callback_gets_a_5xx(
    zoho: Sandbox, connected: Connections, start_gateway: StartGateway, tap: Tap
) -> None:
    url, channel_id, token = await subscribed(start_gateway, connected)
    protected = frozenset({"channel_id", "token"})
    answers: dict[int, int] = {}
    async with aiohttp.ClientSession() as http:
        for n, (value, body) in enumerate(
            mutants(seeds(channel_id, token), COUNT, SEED, protected)
        ):
            async with http.post(
                url, data=body, headers={"Content-Type": "application/json"}
            ) as reply:
                status, text = reply.status, await reply.text()
            answers[status] = answers.get(status, 0) + 1
            ours = (
                isinstance(value, dict)
                and value.get("channel_id") == channel_id
                and value.get("token") == token
            )
            allowed = {200, 400} if ours else {200, 400, 401}
            assert status in allowed, (n, status, text, body[:300])
            assert "Traceback" not in text
    assert answers.get(400, 0) > COUNT // 3, answers  # the mutants did bite
    assert answers.get(200, 0) > 0, answers  # and valid parts still pass
