"""Each tenant's bulk work has a queue of its own at each gateway's writes
and at the matcher: a tenant whose writes are held (its API quota spent by
its backfill) does not hold another tenant's, a tenant with 10,000
backfilled changes at the matcher does not make another's first ones wait
behind them, and a message published before the service knows the tenant
waits in its queue until the service consumes it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial

import pytest

from common.bus import Bus
from common.connections import Connection, Connections, connected_tenants
from common.crypto import TokenCipher
from common.lanes import LiveFirst
from common.messages import Envelope
from common.runtime import ServiceContext, ServiceRunner
from common.settings import Settings
from common.store import Store
from common.tenant_queues import TenantQueues
from tests.support import wait_for

pytestmark = pytest.mark.integration


def bulk_write(tenant: str, n: int) -> Envelope:
    return Envelope(
        kind="write",
        tenant=tenant,
        system="qbo",
        entity="customer",
        lane="bulk",
        payload={"record": {}, "idempotency_key": f"{tenant}-{n}"},
    )


@pytest.fixture
def connections(settings: Settings, store: Store) -> Connections:
    assert settings.secret_key is not None
    return Connections(store, TokenCipher(settings.secret_key, None))


async def test_one_tenants_held_bulk_writes_do_not_hold_anothers(
    settings: Settings, connections: Connections, bus: Bus
) -> None:
    await connections.save(Connection(tenant="busy"))
    # Published before the gateway runs: the publisher declares the queue.
    await bus.publish_many([bulk_write("busy", n) for n in range(50)])
    await bus.publish_many([bulk_write("calm.eu", n) for n in range(3)])

    release = asyncio.Event()
    handled: list[tuple[str, int]] = []

    async def write(envelope: Envelope) -> Sequence[Envelope]:
        if envelope.tenant == "busy":
            await release.wait()  # its quota is spent: every write waits
        n = int(envelope.payload["idempotency_key"].rsplit("-", 1)[1])
        handled.append((envelope.tenant, n))
        return []

    async def build(context: ServiceContext) -> None:
        TenantQueues(
            context, connections.tenants, write, prefetch=5, every=0.2
        ).register()

    runner = ServiceRunner("qbo_gateway", settings, build)
    await runner.start(port=0)
    try:
        # The second tenant connects while the service runs.
        await connections.save(Connection(tenant="calm.eu"))

        async def calm_done() -> bool:
            return sorted(n for t, n in handled if t == "calm.eu") == [0, 1, 2]

        await wait_for(calm_done, 10)
        assert not [h for h in handled if h[0] == "busy"]
        release.set()

        async def busy_done() -> bool:
            return len([h for h in handled if h[0] == "busy"]) == 50

        await wait_for(busy_done, 20)
    finally:
        await runner.stop()


def bulk_change(tenant: str, n: int) -> Envelope:
    return Envelope(
        kind="change",
        tenant=tenant,
        system="crm",
        entity="contact",
        external_id=str(n),
        lane="bulk",
    )


async def test_a_tenants_first_changes_do_not_wait_behind_anothers_backfill(
    settings: Settings, store: Store, connections: Connections, bus: Bus
) -> None:
    for tenant in ("busy", "calm.eu"):
        await connections.save(Connection(tenant=tenant))
    # The busy tenant's backfill is well under way when the calm one's starts.
    await bus.publish_many([bulk_change("busy", n) for n in range(200)])
    await bus.publish_many([bulk_change("calm.eu", n) for n in range(3)])

    handled: list[str] = []

    async def match(envelope: Envelope) -> Sequence[Envelope]:
        await asyncio.sleep(0.01)  # the matcher's few ms of CPU and store
        handled.append(envelope.tenant)
        return []

    async def build(context: ServiceContext) -> None:
        handle = LiveFirst(bulk_at_once=4).wrap(match)
        # As the matcher lists them: without the key that decrypts them.
        tenants = partial(connected_tenants, store)
        TenantQueues(context, tenants, handle, prefetch=4, every=0.2).register()

    runner = ServiceRunner("matcher", settings, build)
    await runner.start(port=0)
    try:

        async def calm_done() -> bool:
            return handled.count("calm.eu") == 3

        await wait_for(calm_done, 20)
        # Tenants took turns: the calm tenant's three did not wait for the
        # busy one's 200 (one shared queue would have served them last).
        last_calm = len(handled) - handled[::-1].index("calm.eu")
        assert last_calm < 40, handled[:last_calm]

        async def busy_done() -> bool:
            return handled.count("busy") == 200

        await wait_for(busy_done, 30)
    finally:
        await runner.stop()
