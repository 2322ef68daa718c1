"""Seeded fuzz of POST /webhooks/qbo: 300 mutants of the documented legacy
notification and of a CloudEvents array (keys dropped, types changed, lists
wrapped, deep nesting, bytes spoiled). Signed, each is answered 200 or 400;
signed with another token, 401; never a 5xx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from services.qbo_gateway.webhooks import signature_of
from tests.gateways.body_mutations import mutants
from tests.gateways.qbo.conftest import VERIFIER, Running, Sandbox

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parents[2] / "fixtures" / "qbo" / "webhook.payload.json"
SEED = 20_260_511
COUNT = 300


def seeds(realm: str) -> list[Any]:
    legacy = json.loads(FIXTURE.read_text())
    legacy["eventNotifications"][0]["realmId"] = realm
    entities = legacy["eventNotifications"][0]["dataChangeEvent"]["entities"]
    entities.append(
        {
            "name": "Invoice",
            "id": "7",
            "operation": "Delete",
            "lastUpdated": "2015-10-05T14:42:19-0700",
        }
    )
    cloud = [
        {
            "specversion": "1.0",
            "id": "e1",
            "source": "intuit.x",
            "type": "qbo.customer.merged.v1",
            "time": "2025-09-08T20:52:31.657Z",
            "intuitentityid": "1",
            "intuitaccountid": realm,
            "data": {"deletedId": "2"},
        }
    ]
    return [legacy, cloud]


async def test_no_mutant_of_a_notification_gets_a_5xx(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    protected = frozenset({"realmId", "intuitaccountid"})
    bodies = mutants(seeds(qbo_sandbox.creds["realm_id"]), COUNT, SEED, protected)
    answers: dict[int, int] = {}
    async with aiohttp.ClientSession() as http:
        for n, (_value, body) in enumerate(bodies):
            for token, allowed in ((VERIFIER, {200, 400}), ("another", {401})):
                if token != VERIFIER and n % 5:
                    continue  # a fifth of them also sent wrongly signed
                async with http.post(
                    f"{running.url}/webhooks/qbo",
                    data=body,
                    headers={
                        "Content-Type": "application/json",
                        "intuit-signature": signature_of(token, body),
                    },
                ) as reply:
                    status, text = reply.status, await reply.text()
                answers[status] = answers.get(status, 0) + 1
                assert status in allowed, (n, status, text, body[:300])
                assert "Traceback" not in text
    assert answers.get(400, 0) > COUNT // 3, answers  # the mutants did bite
    assert answers.get(200, 0) > 0, answers  # and valid parts still pass
