"""A service's consumers of its tenants' bulk queues.

In the bulk lane each tenant has a queue of its own at the matcher and at
each gateway's writes (``topology.TENANT_QUEUES``), so a tenant's backfill
never holds the service's prefetch while another tenant's bulk work waits:
a gateway's writes are paced by each tenant's own API quota, the matcher's
work by its CPU and the store, and each queue has its own consumer, which
the broker serves side by side. A tenant is seen when the service starts
and then every second (connections are saved by operator commands and
by tests straight into the store); its queue may already hold messages by
then, as the first publisher declares it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from common.bus.consumer import Handler
from common.bus.topology import TENANT_QUEUES
from common.runtime import ServiceContext

log = structlog.get_logger(__name__)

# A newly connected tenant's first bulk message waits at most this long.
LOOK_EVERY_SECONDS = 1.0


class TenantQueues:
    def __init__(
        self,
        context: ServiceContext,
        tenants: Callable[[], Awaitable[list[str]]],
        handler: Handler,
        *,
        prefetch: int,
        every: float = LOOK_EVERY_SECONDS,
    ) -> None:
        self.context = context
        self.queue_of = TENANT_QUEUES[context.name]
        self.tenants = tenants
        self.handler = handler
        self.prefetch = prefetch
        self.every = every
        self.consumed: set[str] = set()

    def register(self) -> None:
        # A background job: it starts once the service's own consumers have.
        self.context.background.append(self.run)

    async def look(self) -> None:
        """Start consuming the queue of every tenant not consumed yet."""
        for tenant in await self.tenants():
            if tenant in self.consumed:
                continue
            spec = self.queue_of(tenant)
            consumer = self.context.consume(spec, self.handler, prefetch=self.prefetch)
            await consumer.start()
            self.consumed.add(tenant)
            log.info("tenant_queue_consumed", tenant=tenant, queue=spec.name)

    async def run(self) -> None:
        while True:
            try:
                await self.look()
            except Exception as exc:  # the broker or store is away: next time
                log.warning("tenant_queues_look_failed", error=repr(exc))
            await asyncio.sleep(self.every)
