"""Composition root of the matcher service: its queues, its handler."""

from __future__ import annotations

from common.bus.topology import QUEUES
from common.lanes import LiveFirst
from common.runtime import ServiceContext
from services.matcher.backlogs import BusBacklogs
from services.matcher.bootstrap import bootstrap

# Bulk work in hand at once: enough to keep well ahead of the APIs' pace
# (a handler takes a few ms), few enough that a person's change does not
# queue behind dozens of a backfill's at the store.
BULK_PREFETCH = 8


async def build(context: ServiceContext) -> None:
    matcher = await bootstrap(context.store, backlogs=BusBacklogs(context.bus))
    handle = LiveFirst().wrap(matcher.handle)  # one gate for both queues
    for spec in QUEUES["matcher"]:
        bulk = spec.name == "matcher.bulk"
        context.consume(spec, handle, prefetch=BULK_PREFETCH if bulk else None)
