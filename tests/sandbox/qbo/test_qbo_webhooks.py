"""Webhooks: Intuit's payload, intuit-signature, batching, retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from services.qbo_sandbox.webhooks import sign

if TYPE_CHECKING:
    from conftest import Qbo

pytestmark = pytest.mark.sandbox
VERIFIER = "verifier-token-123"


class Receiver:
    """A webhook endpoint that fails the first `failures` calls with 500."""

    def __init__(self) -> None:
        self.failures = 0
        self.received: list[tuple[bytes, dict[str, str]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append((body, dict(request.headers)))
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        return web.Response(status=200)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    target = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/qbo", target.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield target, str(server.make_url("/hooks/qbo"))
    await server.close()


def verify(body: bytes, header: str) -> bool:
    digest = hmac.new(VERIFIER.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), header)


def test_signature_matches_the_published_vector(fixture: Any) -> None:
    vector = fixture("webhook.hmac_test_vector.json")
    payload = vector["payload"].encode()
    assert sign(vector["verifier_token"], payload) == vector["intuit_signature"]


async def test_changes_arrive_signed_and_batched(
    qbo: Qbo,
    receiver: tuple[Receiver, str],
    fixture: Any,
    poll: Callable[..., Awaitable[None]],
) -> None:
    target, url = receiver
    await qbo.admin("webhooks", {"url": url, "verifier_token": VERIFIER})
    customer = await qbo.create("Customer", {"DisplayName": "Hooked"})
    vendor = await qbo.create("Vendor", {"DisplayName": "Hooked Vendor"})

    async def delivered() -> bool:
        return len(target.received) >= 1

    await poll(delivered)
    body, headers = target.received[0]
    assert verify(body, headers["intuit-signature"])
    assert headers["intuit-notification-schema-version"] == "0.1"
    assert headers["User-Agent"] == "intuit_notification_server/0.1"
    assert headers["Content-Type"].startswith("application/json")
    assert headers["intuit-t-id"]
    assert headers["intuit-created-time"]
    payload = json.loads(body)
    sample = fixture("webhook.payload.json")
    notification = payload["eventNotifications"][0]
    assert set(notification) == set(sample["eventNotifications"][0])
    assert notification["realmId"] == qbo.realm
    entities = notification["dataChangeEvent"]["entities"]
    assert [(e["name"], e["id"], e["operation"]) for e in entities] == [
        ("Customer", customer["Id"], "Create"),
        ("Vendor", vendor["Id"], "Create"),
    ]
    sample_entity = sample["eventNotifications"][0]["dataChangeEvent"]["entities"][0]
    assert set(entities[0]) == set(sample_entity)
    assert len(entities[0]["lastUpdated"]) == len(sample_entity["lastUpdated"])


async def test_operations_update_delete_void(
    qbo: Qbo, receiver: tuple[Receiver, str], poll: Callable[..., Awaitable[None]]
) -> None:
    await qbo.reset(customers=1)
    target, url = receiver
    await qbo.admin("webhooks", {"url": url, "verifier_token": VERIFIER})
    line = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 10.0,
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
    }
    first = await qbo.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line]})
    second = await qbo.create(
        "Invoice", {"CustomerRef": {"value": "1"}, "Line": [line]}
    )
    target_one = {"Id": first["Id"], "SyncToken": "0"}
    await qbo.ok(await qbo.post("invoice", target_one, operation="void"))
    target_two = {"Id": second["Id"], "SyncToken": "0"}
    await qbo.ok(await qbo.post("invoice", target_two, operation="delete"))
    customer = (await qbo.ok(await qbo.get("customer/1")))["Customer"]
    off = {
        "Id": "1",
        "SyncToken": customer["SyncToken"],
        "sparse": True,
        "Active": False,
    }
    await qbo.ok(await qbo.post("customer", off))

    seen: list[tuple[str, str]] = []

    async def all_seen() -> bool:
        seen.clear()
        for body, _ in target.received:
            for n in json.loads(body)["eventNotifications"]:
                seen.extend(
                    (e["name"], e["operation"])
                    for e in n["dataChangeEvent"]["entities"]
                )
        return len(seen) >= 5

    await poll(all_seen)
    assert seen == [
        ("Invoice", "Create"),
        ("Invoice", "Create"),
        ("Invoice", "Void"),
        ("Invoice", "Delete"),
        ("Customer", "Delete"),
    ]


async def test_retries_while_the_receiver_fails(
    qbo: Qbo, receiver: tuple[Receiver, str], poll: Callable[..., Awaitable[None]]
) -> None:
    target, url = receiver
    target.failures = 3
    await qbo.admin(
        "webhooks",
        {
            "url": url,
            "verifier_token": VERIFIER,
            "retry_schedule_seconds": [0.02, 0.04],
        },
    )
    await qbo.create("Customer", {"DisplayName": "Retry Me"})
    await qbo.create("Customer", {"DisplayName": "Queued Behind"})

    async def delivered() -> bool:
        log = (await qbo.admin_get("webhooks/deliveries"))["deliveries"]
        return any(entry["delivered"] for entry in log)

    await poll(delivered)
    log = (await qbo.admin_get("webhooks/deliveries"))["deliveries"]
    assert [entry["status"] for entry in log] == [500, 500, 500, 200]
    assert [entry["attempt"] for entry in log] == [1, 2, 3, 4]
    bodies = {entry["body"] for entry in log}
    assert len(bodies) == 1  # the same notification, re-sent unchanged
    assert all(
        verify(body, headers["intuit-signature"]) for body, headers in target.received
    )


async def test_unreachable_receiver_is_logged(
    qbo: Qbo, poll: Callable[..., Awaitable[None]]
) -> None:
    await qbo.admin(
        "webhooks",
        {
            "url": "http://127.0.0.1:9/nowhere",
            "verifier_token": VERIFIER,
            "retry_schedule_seconds": [0.01],
            "max_attempts": 2,
        },
    )
    await qbo.create("Customer", {"DisplayName": "Lost"})

    async def gave_up() -> bool:
        return len((await qbo.admin_get("webhooks/deliveries"))["deliveries"]) == 2

    await poll(gave_up)
    log = (await qbo.admin_get("webhooks/deliveries"))["deliveries"]
    assert all(entry["error"] and not entry["delivered"] for entry in log)
