"""Composition root of the matcher service: its queue, its handler."""

from __future__ import annotations

from common.bus.topology import QUEUES
from common.runtime import ServiceContext
from services.matcher.bootstrap import bootstrap


async def build(context: ServiceContext) -> None:
    matcher = await bootstrap(context.store)
    for spec in QUEUES["matcher"]:
        context.consume(spec, matcher.handle)
