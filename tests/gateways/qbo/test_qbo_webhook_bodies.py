"""POST /webhooks/qbo with malformed bodies: signature first (401 whatever
the body), then the shape (400 with a one-line reason), never a 5xx."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from services.qbo_gateway.webhooks import signature_of
from tests.gateways.body_mutations import deep
from tests.gateways.qbo.conftest import VERIFIER, Running, Sandbox
from tests.support import holds, wait_for

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parents[2] / "fixtures" / "qbo" / "webhook.payload.json"


def legacy(realm: str, **notification: Any) -> dict[str, Any]:
    """The fixture, addressed to ``realm``, with ``notification`` keys replaced."""
    body: dict[str, Any] = json.loads(FIXTURE.read_text())
    body["eventNotifications"][0].update(realmId=realm, **notification)
    return body


def entity(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Customer",
        "id": "1",
        "operation": "Update",
        "lastUpdated": "2015-10-05T14:42:19-0700",
        **fields,
    }


def without(value: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k != key}


def cloud_event(realm: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "e1",
        "source": "intuit.x",
        "type": "qbo.customer.updated.v1",
        "time": "2025-09-08T20:52:31.657Z",
        "intuitentityid": "1",
        "intuitaccountid": realm,
        "data": {},
    }


def malformed(realm: str) -> dict[str, bytes]:
    def of(value: Any) -> bytes:
        return json.dumps(value).encode()

    return {
        "array of a number": b"[1]",
        "empty object": b"{}",
        "a string": b'"x"',
        "null": b"null",
        "empty array": b"[]",
        "dataChangeEvent a list": of(
            legacy(realm, dataChangeEvent=[{"entities": [entity()]}])
        ),
        "entities not a list": of(
            legacy(realm, dataChangeEvent={"entities": entity()})
        ),
        "entity without id": of(
            legacy(realm, dataChangeEvent={"entities": [without(entity(), "id")]})
        ),
        "id a number": of(legacy(realm, dataChangeEvent={"entities": [entity(id=1)]})),
        "lastUpdated not a time": of(
            legacy(
                realm,
                dataChangeEvent={
                    "entities": [
                        entity(name="Invoice", operation="Delete", lastUpdated="soon")
                    ]
                },
            )
        ),
        "a cloud event that is not an object": of([cloud_event(realm), 1]),
        "a cloud event without an account": of(
            [without(cloud_event(realm), "intuitaccountid")]
        ),
        "nested 100000 deep": deep(100_000),
        "nested deep in a valid body": of(legacy(realm, extra="@deep@")).replace(
            b'"@deep@"', deep(100_000)
        ),
        "invalid UTF-8": b'{"eventNotifications": "\xff\xfe"}',
    }


CASES = sorted(malformed("0"))


async def post(
    running: Running, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{running.url}/webhooks/qbo",
            data=body,
            headers={"Content-Type": "application/json", **headers},
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


def signed(body: bytes, token: str = VERIFIER) -> dict[str, str]:
    return {"intuit-signature": signature_of(token, body)}


def assert_one_line_reason(answer: dict[str, Any]) -> None:
    reason = answer["error"]
    assert isinstance(reason, str)
    assert 0 < len(reason) <= 400
    assert "\n" not in reason
    assert "Traceback" not in reason


async def nothing_published(running: Running) -> bool:
    await asyncio.sleep(0.3)  # time for anything wrongly published to arrive
    queue = running.bus.names.queue("qbo_gateway.tasks")
    return await running.bus.queue_depth(queue) == 0 and running.probe.received == []


@pytest.mark.parametrize("case", CASES)
async def test_a_signed_malformed_body_is_400_with_a_reason(
    running: Running, qbo_sandbox: Sandbox, case: str
) -> None:
    body = malformed(qbo_sandbox.creds["realm_id"])[case]
    status, answer = await post(running, body, signed(body))
    assert status == 400, answer
    assert_one_line_reason(answer)
    assert await nothing_published(running)


@pytest.mark.parametrize("case", [*CASES, "valid"])
async def test_an_unsigned_body_is_401_before_it_is_parsed(
    running: Running, qbo_sandbox: Sandbox, case: str
) -> None:
    realm = qbo_sandbox.creds["realm_id"]
    body = malformed(realm).get(case) or json.dumps(legacy(realm)).encode()
    for headers in (
        {},
        {"intuit-signature": "x"},
        {"intuit-signature": "\u00e9\u00e9"},
        signed(body, "not-the-verifier"),
        signed(body + b" "),
    ):
        status, answer = await post(running, body, headers)
        assert status == 401, (headers, answer)
        assert_one_line_reason(answer)
    assert await nothing_published(running)


async def test_the_real_qbo_offset_without_a_colon_is_accepted(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    body = json.dumps(legacy(qbo_sandbox.creds["realm_id"])).encode()
    assert b'"lastUpdated": "2015-10-05T14:42:19-0700"' in body
    status, answer = await post(running, body, signed(body))
    assert (status, answer) == (200, {"accepted": 2})  # customer and vendor fetches


async def test_entities_we_do_not_sync_are_ignored(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    entities = [entity(name="Payment"), entity(), entity(name="Bill", id="9")]
    realm = qbo_sandbox.creds["realm_id"]
    body = json.dumps(legacy(realm, dataChangeEvent={"entities": entities})).encode()
    status, answer = await post(running, body, signed(body))
    assert (status, answer) == (200, {"accepted": 1})


async def test_a_deleted_transaction_keeps_its_offset_time(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    gone = entity(name="Invoice", id="77", operation="Delete")
    realm = qbo_sandbox.creds["realm_id"]
    body = json.dumps(legacy(realm, dataChangeEvent={"entities": [gone]})).encode()
    status, _answer = await post(running, body, signed(body))
    assert status == 200

    await wait_for(lambda: holds(bool(running.probe.of("change", "invoice"))))
    [change] = running.probe.of("change", "invoice")
    assert change.deleted
    assert change.external_id == "77"
    assert change.version is not None
    assert change.version.updated_at.isoformat() == "2015-10-05T21:42:19+00:00"
