"""POST /webhooks/qbo: signed notifications in, fetches out, nothing else."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from services.qbo_gateway.webhooks import signature_of
from tests.support import holds, wait_for

from .conftest import VERIFIER, Running, Sandbox

pytestmark = pytest.mark.integration


def notification(realm: str, entity_id: str, operation: str = "Update") -> bytes:
    return json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": realm,
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": "Customer",
                                "id": entity_id,
                                "operation": operation,
                                "lastUpdated": "2026-11-25T10:00:00-0700",
                            }
                        ]
                    },
                }
            ]
        }
    ).encode()


async def post(running: Running, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{running.url}/webhooks/qbo",
            data=body,
            headers={"Content-Type": "application/json", **headers},
        ) as response,
    ):
        return response.status


async def queued_fetches(running: Running) -> int:
    return await running.bus.queue_depth(running.bus.names.queue("qbo_gateway.tasks"))


async def test_a_change_in_qbo_arrives_as_a_canonical_change_event(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    await qbo_sandbox.admin(
        "POST",
        "webhooks",
        {
            "url": f"{running.url}/webhooks/qbo",
            "verifier_token": VERIFIER,
            "batch_window_seconds": 0.05,
        },
    )
    status, body = await qbo_sandbox.api(
        "POST",
        "customer",
        json={
            "DisplayName": "Ada Lovelace",
            "GivenName": "Ada",
            "FamilyName": "Lovelace",
            "PrimaryEmailAddr": {"Address": "ada@example.com"},
        },
    )
    assert status == 200, body
    customer_id = body["Customer"]["Id"]

    async def arrived() -> bool:
        return any(e.external_id == customer_id for e in running.probe.of("change"))

    await wait_for(arrived, seconds=15)
    change = next(e for e in running.probe.of("change") if e.external_id == customer_id)
    assert change.routing_key == "change.qbo.customer"
    assert change.tenant == "acme"
    assert change.payload["record"]["email"] == "ada@example.com"
    assert change.payload["source"] == "webhook"
    assert change.version is not None
    assert change.version.sequence == 0
    deliveries = await qbo_sandbox.admin("GET", "webhooks/deliveries")
    assert any(d["status"] == 200 for d in deliveries["deliveries"])


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, None, 401),  # no signature at all
        ({"intuit-signature": "bm90IHRoZSBzaWduYXR1cmU="}, None, 401),  # wrong one
        ({"intuit-signature": "x"}, b"{not json", 401),
        ({"intuit-signature": "x"}, b"[" + b" " * (1024 * 1024 + 10) + b"]", 413),
    ],
)
async def test_refused_webhooks_publish_nothing(
    running: Running,
    qbo_sandbox: Sandbox,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
) -> None:
    payload = (
        body if body is not None else notification(qbo_sandbox.creds["realm_id"], "1")
    )
    assert await post(running, payload, headers) == status
    assert await queued_fetches(running) == 0
    assert running.probe.received == []


async def test_duplicate_deliveries_fetch_once(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    body = notification(qbo_sandbox.creds["realm_id"], "1")
    signed = {"intuit-signature": signature_of(VERIFIER, body)}
    await qbo_sandbox.admin("DELETE", "stats")
    for _ in range(3):
        assert await post(running, body, signed) == 200

    await wait_for(lambda: holds(len(running.probe.of("change")) >= 1), seconds=10)
    stats: dict[str, Any] = await qbo_sandbox.stats()
    queries = sum(
        count for path, count in stats["by_path"].items() if path.endswith("/query")
    )
    assert queries == 1
    assert len(running.probe.of("change")) == 1


async def test_unknown_realm_is_refused(running: Running) -> None:
    body = notification("999999", "1")
    assert (
        await post(running, body, {"intuit-signature": signature_of(VERIFIER, body)})
        == 401
    )
    assert await queued_fetches(running) == 0
