"""Tokens (one refresh across replicas, re-authorisation) and API faults
(throttling, 5xx, concurrency) against the Zoho sandbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import aiohttp
import pytest
from pydantic import SecretStr

from common.bus import Bus
from common.connections import Connection, Connections
from common.gateway.limits import LimitSpec
from common.gateway.parking import ParkedWork
from common.store import Store
from services.crm_gateway.service import CALLBACK_PATH
from tests.gateways.crm.conftest import (
    TENANT,
    Sandbox,
    StartGateway,
    Tap,
    crm_side,
    envelope,
)
from tests.support import holds, wait_for

pytestmark = pytest.mark.sandbox


async def contact_ids(zoho: Sandbox, count: int) -> list[str]:
    ids: list[str] = []
    for page in range(1, count // 200 + 2):
        status, body = await zoho.api(
            "GET",
            "/Contacts",
            params={"fields": "Email", "page": page, "per_page": 200},
        )
        if status != 200:
            break
        ids += [row["id"] for row in body["data"]]
    return ids[:count]


async def test_faults_lose_nothing_and_duplicate_nothing(
    zoho: Sandbox,
    connections: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    await zoho.reset(seed=2, contacts=300)
    await connections.save(Connection(tenant=TENANT, crm=crm_side(zoho.creds)))
    ids = await contact_ids(zoho, 300)
    await zoho.admin(
        "POST",
        "/_sandbox/faults",
        {
            "seed": 7,
            "error_rate": 0.2,
            "throttle_rate": 0.2,
            "timeout_rate": 0.05,
            "timeout_seconds": 0.3,
        },
    )
    await start_gateway()
    await bus.publish_many(
        [
            envelope("fetch", "contact", payload={"ids": ids[start : start + 20]})
            for start in range(0, 300, 20)
        ]
    )
    await wait_for(lambda: holds(len(set(tap.ids())) == 300), 30)
    await asyncio.sleep(0.3)
    assert sorted(tap.ids()) == sorted(ids)  # each exactly once
    stats = await zoho.stats()
    statuses = {row["status"] for row in stats["requests"]}
    assert {429, 500, 504} <= statuses  # the faults did happen


async def test_concurrency_limit_is_never_exceeded(
    zoho: Sandbox,
    connections: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    await zoho.reset(seed=3, contacts=0, invoices=40, products=5, concurrency=3)
    await connections.save(Connection(tenant=TENANT, crm=crm_side(zoho.creds)))
    _status, body = await zoho.api(
        "GET", "/Invoices", params={"fields": "Subject", "per_page": 200}
    )
    ids = [row["id"] for row in body["data"]]
    await zoho.admin("POST", "/_sandbox/faults", {"latency_ms": 30})
    running = await start_gateway(
        limits=LimitSpec(per_minute=100_000, concurrent=3, heavy_concurrent=3)
    )
    await bus.publish_many(
        [
            envelope("fetch", "invoice", payload={"ids": ids[i : i + 4]})
            for i in range(0, 40, 4)
        ]
    )
    await wait_for(lambda: holds(len(set(tap.ids())) == 40), 30)
    assert await zoho.calls("GET", "/crm/v8/{module}/{record_id}", 429) == 0
    assert await zoho.calls("GET", "/crm/v8/{module}/{record_id}", 200) == 40
    assert running.gateway.limits.in_flight_peak == 3
    lines = tap.of("change")[0].payload["record"]["lines"]
    assert lines  # line items come from the single-record GET


async def test_expiry_under_concurrent_requests_refreshes_once_across_replicas(
    zoho: Sandbox,
    connections: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
) -> None:
    await zoho.reset(seed=4, contacts=200)
    await connections.save(Connection(tenant=TENANT, crm=crm_side(zoho.creds)))
    ids = await contact_ids(zoho, 200)
    await zoho.admin("POST", "/_sandbox/faults", {"latency_ms": 20})
    first = await start_gateway(owner="replica-1")
    second = await start_gateway(owner="replica-2")
    half = [envelope("fetch", "contact", external_id=i) for i in ids[:100]]
    await bus.publish_many(half)
    await wait_for(lambda: holds(len(set(tap.ids())) >= 20), 20)
    assert (await zoho.admin("POST", "/_sandbox/tokens/expire", {}))["expired"] >= 1
    await bus.publish_many(
        [envelope("fetch", "contact", external_id=i) for i in ids[100:]]
    )
    await wait_for(lambda: holds(len(set(tap.ids())) == 200), 30)
    assert first.gateway.tokens.refreshes + second.gateway.tokens.refreshes == 1
    assert await zoho.calls("POST", "/oauth/v2/token") == 1
    assert len(tap.ids()) == 200


async def test_refused_refresh_token_parks_work_until_reauthorised(
    zoho: Sandbox,
    connections: Connections,
    start_gateway: StartGateway,
    tap: Tap,
    bus: Bus,
    store: Store,
) -> None:
    side = crm_side(zoho.creds).model_copy(
        update={
            "refresh_token": SecretStr("1000.revoked"),
            "access_expires_at": datetime.now(UTC) - timedelta(seconds=1),
        }
    )
    await connections.save(Connection(tenant=TENANT, crm=side))
    _status, body = await zoho.api(
        "POST", "/Contacts", json={"data": [{"Last_Name": "Parked", "Email": "p@x.io"}]}
    )
    record_id = body["data"][0]["details"]["id"]
    running = await start_gateway()
    await bus.publish(envelope("fetch", "contact", external_id=record_id))
    parked = ParkedWork(store)
    await wait_for(lambda: _parked(parked))
    current = (await connections.require(TENANT)).side("crm")
    assert current.status == "needs_reauth"
    assert tap.messages == []

    # A person authorises again: the sandbox approves at once and redirects.
    url = await running.gateway.authorisations.begin(
        TENANT,
        client_id=zoho.creds["client_id"],
        client_secret=zoho.creds["client_secret"],
        accounts_server=zoho.creds["accounts_server"],
        redirect_uri=zoho.creds["redirect_uri"],
    )
    running.gateway.channels.notify_url = running.url + "/webhooks/zoho"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, allow_redirects=False) as reply:
            assert reply.status == 302
            query = urlsplit(reply.headers["Location"]).query
        async with http.get(f"{running.url}{CALLBACK_PATH}?{query}") as reply:
            assert reply.status == 200, await reply.text()
        async with http.get(f"{running.url}{CALLBACK_PATH}?{query}") as reply:
            assert reply.status == 400  # the state is spent
    await wait_for(lambda: holds(tap.ids() == [record_id]))
    current = (await connections.require(TENANT)).side("crm")
    assert current.status == "active"
    assert current.channel_id is not None  # subscribed on connect
    assert await parked.count(TENANT, "crm") == 0


async def _parked(parked: ParkedWork) -> bool:
    return await parked.count(TENANT, "crm") == 1
