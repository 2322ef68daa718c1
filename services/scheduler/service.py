"""Composition root of the scheduler: the clock of the system.

Every ``POLL_INTERVAL_SECONDS`` it asks both gateways to poll every
connection (a safety net under the webhooks: a missed or lost notification
is picked up within one interval) and asks the matcher to sweep it
(``command.<system>.*`` ``{"action": "sweep"}``: a safety net under the
matcher's own event-driven path — parked documents resumed or their
dependencies fetched again, unconfirmed writes re-sent; see
``services/matcher/sweep.py``). A lease per tenant and tick keeps a second
scheduler replica from doubling them. The scheduler calls no
API itself: gateways refresh tokens ahead of expiry as they work, and the
polls keep every connection's tokens in use.
"""

from __future__ import annotations

import asyncio
import os
import socket

import structlog

from common.bus import QUEUES
from common.connections import CONNECTION_INDEXES, Connections
from common.crypto import TokenCipher
from common.gateway.leases import Leases
from common.messages import Envelope
from common.payloads import CommandPayload, PollPayload
from common.runtime import ServiceContext

log = structlog.get_logger(__name__)


class Scheduler:
    def __init__(self, context: ServiceContext) -> None:
        settings = context.settings
        self.context = context
        self.connections = Connections(
            context.store,
            TokenCipher(settings.secret_key, settings.secret_key_previous),
        )
        self.leases = Leases(
            context.store, f"scheduler:{socket.gethostname()}:{os.getpid()}"
        )
        self.interval = settings.poll_interval_seconds
        self.ticks = 0

    async def tick(self) -> int:
        """Publish one round of polls and sweeps (one of each per active side
        of every connection); returns how many messages were published."""
        published = 0
        for connection in await self.connections.all():
            lease = f"poll-tick:{connection.tenant}"
            if not await self.leases.acquire(lease, self.interval * 0.9):
                continue  # another scheduler replica has this tick
            for system, side in (("qbo", connection.qbo), ("crm", connection.crm)):
                if side is None or side.status != "active":
                    continue
                for message in (
                    Envelope(
                        kind="poll",
                        tenant=connection.tenant,
                        system=system,
                        entity="*",
                        payload=PollPayload().wire(),
                    ),
                    Envelope(
                        kind="command",
                        tenant=connection.tenant,
                        system=system,
                        entity="*",
                        payload=CommandPayload(action="sweep").wire(),
                    ),
                ):
                    await self.context.bus.publish(message)
                    published += 1
        self.ticks += 1
        return published

    async def run(self) -> None:
        while True:
            try:
                published = await self.tick()
                log.debug("poll_tick", published=published)
            except Exception as exc:  # a store or broker hiccup: next tick retries
                log.warning("poll_tick_failed", error=repr(exc))
            await asyncio.sleep(self.interval)


async def build(context: ServiceContext) -> Scheduler:
    await context.store.ensure_indexes(CONNECTION_INDEXES)
    # The queues its messages go to, so a poll published before a gateway's
    # first start waits for it instead of being refused as unroutable.
    for service in QUEUES:
        await context.bus.declare_service_queues(service)
    scheduler = Scheduler(context)
    context.background.append(scheduler.run)
    return scheduler
