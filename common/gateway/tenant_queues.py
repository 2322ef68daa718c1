"""A gateway's consumers of its tenants' bulk-write queues.

Each tenant's bulk writes have a queue of their own
(``topology.tenant_bulk_writes``), so a tenant's backfill, paced by its own
API quota, never holds the gateway's prefetch while another tenant's bulk
writes wait: each queue has its own consumer, and the broker serves them
side by side. A tenant is seen when the gateway starts and then every few
seconds (connections are saved by operator commands and by tests straight
into the store); its queue may already hold messages by then, as the first
publisher declares it.
"""

from __future__ import annotations

import asyncio

import structlog

from common.bus.consumer import Handler
from common.bus.topology import tenant_bulk_writes
from common.connections import Connections
from common.runtime import ServiceContext

log = structlog.get_logger(__name__)

LOOK_EVERY_SECONDS = 5.0


class TenantBulkQueues:
    def __init__(
        self,
        context: ServiceContext,
        system: str,
        connections: Connections,
        handler: Handler,
        *,
        prefetch: int,
        every: float = LOOK_EVERY_SECONDS,
    ) -> None:
        self.context = context
        self.system = system
        self.connections = connections
        self.handler = handler
        self.prefetch = prefetch
        self.every = every
        self.consumed: set[str] = set()

    def register(self) -> None:
        # A background job: it starts once the service's own consumers have.
        self.context.background.append(self.run)

    async def look(self) -> None:
        """Start consuming the queue of every tenant not consumed yet."""
        for tenant in await self.connections.tenants():
            if tenant in self.consumed:
                continue
            spec = tenant_bulk_writes(self.system, tenant)
            consumer = self.context.consume(spec, self.handler, prefetch=self.prefetch)
            await consumer.start()
            self.consumed.add(tenant)
            log.info("tenant_bulk_queue_consumed", tenant=tenant, queue=spec.name)

    async def run(self) -> None:
        while True:
            try:
                await self.look()
            except Exception as exc:  # the broker or store is away: next time
                log.warning("tenant_bulk_queues_look_failed", error=repr(exc))
            await asyncio.sleep(self.every)
