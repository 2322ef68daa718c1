"""Each tenant's bulk writes have a queue of their own: a tenant whose
writes are held (its API quota spent by its backfill) does not hold another
tenant's, and a write published before the gateway knows the tenant waits in
its queue until the gateway consumes it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from common.bus import Bus
from common.connections import Connection, Connections
from common.crypto import TokenCipher
from common.gateway.tenant_queues import TenantBulkQueues
from common.messages import Envelope
from common.runtime import ServiceContext, ServiceRunner
from common.settings import Settings
from common.store import Store
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


async def test_one_tenants_held_bulk_writes_do_not_hold_anothers(
    settings: Settings, store: Store, bus: Bus
) -> None:
    assert settings.secret_key is not None
    connections = Connections(store, TokenCipher(settings.secret_key, None))
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
        TenantBulkQueues(
            context, "qbo", connections, write, prefetch=5, every=0.2
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
