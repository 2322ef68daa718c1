"""Tokens (refresh once, re-authorisation), limits and injected faults."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from common.gateway.limits import LimitSpec
from common.messages import Envelope, WriteOutcome
from common.records import Party, Product
from common.runtime import ServiceRunner
from common.settings import Settings
from common.store import Store
from common.store.embedded import free_port
from services.qbo_gateway.service import QboGateway, build
from services.qbo_gateway.webhooks import parse_notices
from tests.support import holds, wait_for

from .conftest import TENANT, Running, Sandbox, StartGateway, connect
from .test_qbo_writes import write, written_for

pytestmark = pytest.mark.integration


def by_path(stats: dict[str, Any], suffix: str) -> int:
    return sum(c for p, c in stats["by_path"].items() if p.endswith(suffix))


def statuses(stats: dict[str, Any], status: int) -> int:
    return sum(r["count"] for r in stats["requests"] if r["status"] == status)


async def test_expired_token_mid_batch_is_refreshed_exactly_once_across_replicas(
    qbo_sandbox: Sandbox, gateway_settings: Settings, store: Store
) -> None:
    await qbo_sandbox.reset(customers=40)
    await connect(store, gateway_settings, qbo_sandbox.creds)
    runners = [ServiceRunner("qbo_gateway", gateway_settings, build) for _ in range(2)]
    for runner in runners:
        await runner.start(port=0)
    gateways = [r.built for r in runners if isinstance(r.built, QboGateway)]
    try:
        assert len(gateways) == len(runners)
        await qbo_sandbox.admin("POST", "tokens/expire", {"kind": "access"})
        await qbo_sandbox.admin("DELETE", "stats")
        calls = [
            g.client.read(TENANT, "Customer", str(n))
            for n in range(1, 21)
            for g in gateways
        ]
        rows = await asyncio.gather(*calls)
        assert len(rows) == 40
        stats = await qbo_sandbox.stats()
        assert by_path(stats, "/tokens/bearer") == 1
        assert sum(g.tokens.refreshes for g in gateways) == 1
        # The rotated refresh token was stored: a later refresh still works.
        connection = await gateways[0].connections.require(TENANT)
        assert connection.qbo is not None
        assert connection.qbo.token_version == 1
    finally:
        for runner in runners:
            await runner.stop()


async def test_refused_refresh_token_parks_work_until_reconnected(
    qbo_sandbox: Sandbox, gateway_settings: Settings, store: Store
) -> None:
    creds = await qbo_sandbox.reset()
    port = free_port()
    settings = gateway_settings.model_copy(
        update={
            "qbo_client_id": creds["client_id"],
            "qbo_client_secret": SecretStr(creds["client_secret"]),
            "qbo_authorize_url": creds["authorize_url"],
            "qbo_token_url": creds["token_url"],
            "qbo_api_base": creds["base_url"],
            "qbo_redirect_uri": f"http://127.0.0.1:{port}/oauth/qbo/callback",
        }
    )
    await connect(store, settings, creds)
    runner = ServiceRunner("qbo_gateway", settings, build)
    await runner.start(port=port)
    gateway = runner.built
    assert isinstance(gateway, QboGateway)
    try:
        await qbo_sandbox.admin("POST", "tokens/expire", {"kind": "all"})
        command = write(
            "item",
            Product(name="Waits for consent"),
            "park-1",
            match_key="Waits for consent",
        )
        await gateway.bus.publish(command)

        async def parked() -> bool:
            return await gateway.parked.count(TENANT, "qbo") == 1

        await wait_for(parked, seconds=15)
        connection = await gateway.connections.require(TENANT)
        assert connection.qbo is not None
        assert connection.qbo.status == "needs_reauth"
        assert "authorise" in (connection.qbo.status_reason or "")
        assert await qbo_sandbox.records("Item") == [] or all(
            i["Name"] != "Waits for consent" for i in await qbo_sandbox.records("Item")
        )

        # A person connects again: Intuit's consent page, then our callback.
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"http://127.0.0.1:{port}/oauth/qbo/start", params={"tenant": TENANT}
            ) as response,
        ):
            assert response.status == 200, await response.text()
            body = await response.json()
        assert body == {"connected": TENANT, "realm_id": creds["realm_id"]}

        async def created() -> bool:
            items = await qbo_sandbox.records("Item")
            return any(i["Name"] == "Waits for consent" for i in items)

        await wait_for(created, seconds=15)
        assert await gateway.parked.count(TENANT, "qbo") == 0
        connection = await gateway.connections.require(TENANT)
        assert connection.qbo is not None
        assert connection.qbo.status == "active"
    finally:
        await runner.stop()


async def test_limits_given_to_the_composition_root_keep_under_the_apis_limits(
    qbo_sandbox: Sandbox,
    gateway_settings: Settings,
    store: Store,
    start_gateway: StartGateway,
) -> None:
    await qbo_sandbox.reset()
    await connect(store, gateway_settings, qbo_sandbox.creds)
    # The real limits scaled down so a test can reach them: 3 at a time, fewer
    # than the settings would allow the gateway.
    await qbo_sandbox.admin("POST", "limits", {"concurrent": 3, "per_minute": 600})
    await qbo_sandbox.admin("POST", "faults", {"latency_ms": 50})  # calls overlap
    limits = LimitSpec(per_minute=600, concurrent=3)
    assert gateway_settings.qbo_concurrency > limits.concurrent
    gateway = await start_gateway(limits=limits)
    assert gateway.limits.spec == limits
    await qbo_sandbox.admin("DELETE", "stats")
    await asyncio.gather(
        *(gateway.client.query(TENANT, "SELECT * FROM Item") for _ in range(30))
    )
    await qbo_sandbox.admin("POST", "faults", {})
    stats = await qbo_sandbox.stats()
    assert statuses(stats, 429) == 0
    assert statuses(stats, 200) == 30
    # The calls went through the limits given: full, never past them.
    assert gateway.limits.in_flight_peak == limits.concurrent


async def test_nothing_lost_or_duplicated_under_throttling_and_errors(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    await qbo_sandbox.admin(
        "POST",
        "faults",
        {
            "seed": 3,
            "error_rate": 0.15,
            "throttle_rate": 0.15,
            "throttle_format": "xml",
            "timeout_rate": 0.05,
            "timeout_seconds": 0.5,
        },
    )
    running.gateway.client.caller.policy = type(running.gateway.client.caller.policy)(
        attempts=6, base_delay=0.05, max_delay=0.3, throttle_default=0.2
    )
    sent = [
        write(
            "customer",
            Party(last_name=f"Load {n}", email=f"load{n}@x.io"),
            f"load-{n}",
            match_key=f"load{n}@x.io",
        )
        for n in range(40)
    ]
    await running.bus.publish_many(sent)
    fetches = [
        Envelope(
            kind="fetch",
            tenant=TENANT,
            system="qbo",
            entity="item",
            external_id=str(n % 2 + 1),
            payload={"n": n},
        )
        for n in range(30)
    ]
    await running.bus.publish_many(fetches)
    written = await written_for(running, sent)
    await wait_for(lambda: holds(len(running.probe.of("change", "item")) == 30), 30)
    await qbo_sandbox.admin("POST", "faults", {})
    outcomes = [WriteOutcome.model_validate(w.payload) for w in written]
    assert all(o.ok for o in outcomes), [o.reason for o in outcomes if not o.ok]
    customers = await qbo_sandbox.records("Customer")
    emails = [c["PrimaryEmailAddr"]["Address"] for c in customers]
    assert sorted(emails) == sorted(f"load{n}@x.io" for n in range(40))  # no dupes
    stats = await qbo_sandbox.stats()
    assert statuses(stats, 429) > 0  # the faults did happen
    assert statuses(stats, 500) + statuses(stats, 503) > 0


def test_cloud_events_and_legacy_payloads_read_alike() -> None:
    legacy = {
        "eventNotifications": [
            {
                "realmId": "310687",
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Customer",
                            "id": "1234",
                            "operation": "Update",
                            "lastUpdated": "2025-09-08T20:52:31.657Z",
                        }
                    ]
                },
            }
        ]
    }
    cloud = [
        {
            "specversion": "1.0",
            "id": "e1",
            "source": "intuit.x",
            "type": "qbo.customer.updated.v1",
            "time": "2025-09-08T20:52:31.657Z",
            "intuitentityid": "1234",
            "intuitaccountid": "310687",
            "data": {},
        }
    ]
    assert parse_notices(legacy) == parse_notices(cloud)
