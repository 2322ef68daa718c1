"""Composition root of the matcher service: its queues, its handler."""

from __future__ import annotations

import structlog

from common.bus.topology import QUEUES, RETIRED_QUEUES
from common.connections import connected_tenants
from common.lanes import LiveFirst
from common.runtime import ServiceContext
from common.tenant_queues import TenantQueues
from services.matcher.backlogs import BusBacklogs
from services.matcher.bootstrap import bootstrap

log = structlog.get_logger(__name__)

# Bulk work in hand at once, across every tenant's bulk queue: enough to
# keep well ahead of the APIs' pace (a handler takes a few ms), few enough
# that a person's change does not queue behind dozens of a backfill's at the
# store. Each tenant's queue has as many in hand, so one tenant alone still
# gets them all.
BULK_AT_ONCE = 8


async def build(context: ServiceContext) -> None:
    matcher = await bootstrap(context.store, backlogs=BusBacklogs(context.bus))
    # One gate for every queue: live first, bulk slots shared by tenants.
    handle = LiveFirst(bulk_at_once=BULK_AT_ONCE).wrap(matcher.handle)
    for spec in QUEUES["matcher"]:
        context.consume(spec, handle)
    for spec in RETIRED_QUEUES["matcher"]:
        if await context.bus.retire_queue(spec):
            # Drain what an earlier version left there.
            log.info("retired_queue_unbound", queue=spec.name)
            context.consume(spec, handle, prefetch=BULK_AT_ONCE)
    TenantQueues(
        context,
        lambda: connected_tenants(context.store),
        handle,
        prefetch=BULK_AT_ONCE,
    ).register()
