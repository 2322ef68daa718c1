"""Composition root of the qbo-gateway: the only code that talks to QBO.

``make_gateway`` builds the collaborators, ``QboGateway`` holds them (a test
can build one with its own), ``register`` is the handler table, and
``build(context)`` is what the runtime calls.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

import aiohttp
import structlog

from common.bus import QUEUES, Bus, DeadLetters
from common.connections import CONNECTION_INDEXES, Connections
from common.crypto import TokenCipher
from common.gateway.answers import serve_answers
from common.gateway.calls import ApiCaller, RetryPolicy
from common.gateway.cursors import CURSOR_INDEXES, Cursors
from common.gateway.echoes import BulkEchoes
from common.gateway.handlers import by_kind, parking
from common.gateway.leases import Leases
from common.gateway.limits import LimitSpec, RateLimits
from common.gateway.parking import PARKED_WORK_INDEXES, ParkedWork
from common.gateway.refusals import Refusals
from common.gateway.tokens import TokenManager
from common.runtime import ServiceContext
from common.settings import Settings
from common.store import Store
from common.tenant_queues import TenantQueues
from services.qbo_gateway import oauth
from services.qbo_gateway.client import BATCH_LIMIT, QboClient
from services.qbo_gateway.connect import QboConnect
from services.qbo_gateway.create_claims import CreateClaims
from services.qbo_gateway.errors import classify
from services.qbo_gateway.lookups import QboLookups
from services.qbo_gateway.reads import QboReads, ReadSettings
from services.qbo_gateway.webhooks import QboWebhook
from services.qbo_gateway.writes import BULK_FLUSH_CALLS, QboWrites

log = structlog.get_logger(__name__)

SERVICE = "qbo_gateway"


def qbo_limits(settings: Settings) -> LimitSpec:
    """Intuit's limits per realm: requests a minute, calls at a time, and
    batch calls a minute (counted apart)."""
    return LimitSpec(
        per_minute=settings.qbo_requests_per_minute,
        concurrent=settings.qbo_concurrency,
        batch_per_minute=settings.qbo_batch_per_minute,
    )


@dataclass(kw_only=True)
class QboGateway:
    """Everything the qbo-gateway is made of, exposed for tests."""

    connections: Connections
    session: aiohttp.ClientSession
    tokens: TokenManager
    limits: RateLimits
    client: QboClient
    parked: ParkedWork
    cursors: Cursors
    reads: QboReads
    writes: QboWrites
    webhook: QboWebhook
    connect: QboConnect
    lookups: QboLookups
    bus: Bus
    echoes: BulkEchoes

    async def connected(self, tenant: str) -> None:
        """A connection saved by an operator command: run its parked work."""
        resumed = await self.parked.resume(tenant, "qbo", self.bus)
        log.info("parked_work_resumed", tenant=tenant, count=resumed)

    async def close(self) -> None:
        await self.session.close()


def make_gateway(
    settings: Settings,
    store: Store,
    bus: Bus,
    *,
    limits: LimitSpec | None = None,
    policy: RetryPolicy | None = None,
    owner: str | None = None,
) -> QboGateway:
    """The collaborators, each built once; ``limits``, ``policy`` and
    ``owner`` (of the token-refresh lease) replace the settings' own."""
    connections = Connections(
        store, TokenCipher(settings.secret_key, settings.secret_key_previous)
    )
    session = aiohttp.ClientSession()  # each call sets its own timeout
    owner = (
        owner
        or f"{SERVICE}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    )
    tokens = TokenManager(
        connections, Leases(store, owner), "qbo", oauth.refresher(session)
    )
    rate_limits = RateLimits(limits or qbo_limits(settings))
    caller = ApiCaller(
        tokens,
        rate_limits,
        classify,
        policy or RetryPolicy(throttle_default=settings.qbo_throttle_pause),
    )
    client = QboClient(session, caller, tokens)
    parked = ParkedWork(store)
    cursors = Cursors(store)
    echoes = BulkEchoes()
    return QboGateway(
        connections=connections,
        session=session,
        tokens=tokens,
        limits=rate_limits,
        client=client,
        parked=parked,
        cursors=cursors,
        reads=QboReads(
            client,
            bus,
            cursors,
            connections,
            Refusals(DeadLetters(store, bus), "qbo_gateway.tasks"),
            ReadSettings(backfill_page_size=settings.backfill_page_size),
            echoes,
        ),
        writes=QboWrites(
            client,
            connections,
            parked,
            linger=settings.write_linger_seconds,
            claims=CreateClaims(store.db),
            echoes=echoes,
        ),
        webhook=QboWebhook(connections, bus, echoes, cursors),
        connect=QboConnect(settings, store, connections, parked, bus, session),
        lookups=QboLookups(client, connections),
        bus=bus,
        echoes=echoes,
    )


def register(context: ServiceContext, gateway: QboGateway) -> None:
    """Consumers, routes and the operator's requests: the handler table."""
    router = context.http.router
    router.add_post("/webhooks/qbo", gateway.webhook.receive)
    router.add_get("/oauth/qbo/start", gateway.connect.start)
    router.add_get("/oauth/qbo/callback", gateway.connect.callback)
    park = gateway.parked
    reads = gateway.reads
    queues = {spec.name: spec for spec in QUEUES[SERVICE]}
    writes = gateway.writes.handle  # notes its bulk writes itself (echoes)
    context.consume(queues["qbo_gateway.writes"], parking(park, writes), prefetch=64)
    context.consume(
        queues["qbo_gateway.tasks"],
        parking(
            park, by_kind("qbo-gateway", {"fetch": reads.fetch, "poll": reads.poll})
        ),
        prefetch=8,
    )
    context.consume(
        queues["qbo_gateway.backfill"], parking(park, reads.backfill), prefetch=1
    )
    # The bulk lane: re-fetches in one queue, each tenant's writes in its
    # own, enough in hand for four full flushes (BULK_FLUSH_CALLS batches of
    # 30 each): while two wait for the minute's batch calls, the next ones
    # form and spill into the single calls' budget instead of idling it.
    context.consume(
        queues["qbo_gateway.bulk"],
        parking(park, by_kind("qbo-gateway", {"fetch": reads.fetch})),
        prefetch=8,
    )
    TenantQueues(
        context,
        gateway.connections.tenants,
        parking(park, writes),
        prefetch=4 * BATCH_LIMIT * BULK_FLUSH_CALLS,
    ).register()
    serve_answers(
        context,
        SERVICE,
        "qbo",
        gateway.connections,
        gateway.lookups,
        gateway.connected,
    )
    context.on_stop.append(gateway.close)


async def build(context: ServiceContext) -> QboGateway:
    await context.store.ensure_indexes(
        [*CONNECTION_INDEXES, *CURSOR_INDEXES, *PARKED_WORK_INDEXES]
    )
    gateway = make_gateway(context.settings, context.store, context.bus)
    register(context, gateway)
    return gateway
