"""Composition root of the crm-gateway: the only code that talks to Zoho CRM.

``make_gateway`` builds the collaborators, ``Gateway`` holds them (a test can
build one with its own), ``register`` is the handler table, and
``build(context)`` is what the runtime calls.

Limits come from ``ZOHO_REQUESTS_PER_MINUTE`` and ``ZOHO_CONCURRENCY`` (per
process; with N replicas give each 1/N of the org's limit);
``CRM_GATEWAY_PUBLIC_URL`` is where Zoho can reach ``/webhooks/zoho``.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

import aiohttp
import structlog

from common.bus import QUEUES, Bus, DeadLetters, QueueSpec
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
from services.crm_gateway import webhooks
from services.crm_gateway.channels import Channels
from services.crm_gateway.client import DEFAULT_TIMEOUT, ZohoClient
from services.crm_gateway.errors import classify
from services.crm_gateway.fieldmaps import FieldMaps
from services.crm_gateway.lookups import ZohoLookups
from services.crm_gateway.oauth import (
    Authorisations,
    ZohoOAuth,
    callback_route,
    start_route,
)
from services.crm_gateway.reads import Reads
from services.crm_gateway.writes import LINGER_SECONDS, Writes

log = structlog.get_logger(__name__)

SERVICE = "crm_gateway"
CALLBACK_PATH = "/oauth/zoho/callback"
START_PATH = "/oauth/zoho/start"


def zoho_limits(settings: Settings) -> LimitSpec:
    """Concurrency by edition (Enterprise 20), 10 for heavy calls; Zoho has no
    per-minute rate, only daily credits, so the rate is a guard rail."""
    return LimitSpec(
        per_minute=settings.zoho_requests_per_minute,
        concurrent=settings.zoho_concurrency,
        # Zoho holds heavy calls to 10 at once per org; never more than the
        # process's own share (ZOHO_CONCURRENCY) when replicas split it.
        heavy_concurrent=min(10, settings.zoho_concurrency),
    )


@dataclass(kw_only=True)
class Gateway:
    """Everything the crm-gateway is made of, exposed for tests."""

    connections: Connections
    tokens: TokenManager
    limits: RateLimits
    client: ZohoClient
    reads: Reads
    writes: Writes
    channels: Channels
    lookups: ZohoLookups
    parked: ParkedWork
    oauth: ZohoOAuth
    authorisations: Authorisations
    session: aiohttp.ClientSession
    bus: Bus
    echoes: BulkEchoes

    async def connected(self, tenant: str) -> None:
        """After an authorisation: a fresh channel, then the parked work."""
        try:
            await self.channels.subscribe_alone(tenant)
        except Exception as exc:  # the renewal job tries again each minute
            log.warning("zoho_channel_subscribe_failed", tenant=tenant, error=repr(exc))
        resumed = await self.parked.resume(tenant, "crm", self.bus)
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
    timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    notify_url: str | None = None,
    owner: str | None = None,
    linger: float = LINGER_SECONDS,
) -> Gateway:
    cipher = TokenCipher(settings.secret_key, settings.secret_key_previous)
    connections = Connections(store, cipher)
    owner = (
        owner
        or f"{SERVICE}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    leases = Leases(store, owner=owner)
    session = aiohttp.ClientSession(timeout=timeout)
    oauth = ZohoOAuth(session)
    tokens = TokenManager(connections, leases, "crm", oauth.refresh)
    rate_limits = RateLimits(limits or zoho_limits(settings))
    caller = ApiCaller(tokens, rate_limits, classify, policy)
    client = ZohoClient(caller, tokens, session)
    echoes = BulkEchoes()
    public = (
        settings.crm_gateway_public_url
        or f"http://{settings.http_host}:{settings.crm_gateway_port}"
    )
    return Gateway(
        connections=connections,
        tokens=tokens,
        limits=rate_limits,
        client=client,
        reads=Reads(
            client,
            bus,
            Cursors(store),
            Refusals(DeadLetters(store, bus), "crm_gateway.tasks"),
            FieldMaps(connections),
            echoes,
        ),
        writes=Writes(client, linger=linger, field_maps=FieldMaps(connections)),
        channels=Channels(
            client,
            connections,
            leases,
            notify_url or public.rstrip("/") + webhooks.PATH,
        ),
        lookups=ZohoLookups(client, FieldMaps(connections)),
        parked=ParkedWork(store),
        oauth=oauth,
        authorisations=Authorisations(store, cipher),
        session=session,
        bus=bus,
        echoes=echoes,
    )


def queue(name: str) -> QueueSpec:
    return next(spec for spec in QUEUES[SERVICE] if spec.name == name)


def register(context: ServiceContext, gateway: Gateway) -> None:
    """Consumers, routes and background jobs: the explicit handler table."""
    park = gateway.parked
    reads = gateway.reads
    writes = gateway.echoes.remembering(gateway.writes.handle)
    context.consume(
        queue("crm_gateway.writes"),
        parking(park, by_kind("crm-gateway", {"write": writes})),
        prefetch=2 * 100,  # enough in flight to fill a 100-record call
    )
    # The bulk lane: re-fetches in one queue, each tenant's writes in its own.
    context.consume(
        queue("crm_gateway.bulk"),
        parking(park, by_kind("crm-gateway", {"fetch": reads.fetch})),
    )
    TenantQueues(
        context,
        gateway.connections.tenants,
        parking(park, by_kind("crm-gateway", {"write": writes})),
        prefetch=2 * 100,
    ).register()
    context.consume(
        queue("crm_gateway.tasks"),
        parking(
            park, by_kind("crm-gateway", {"fetch": reads.fetch, "poll": reads.poll})
        ),
    )
    context.consume(
        queue("crm_gateway.backfill"),
        parking(park, by_kind("crm-gateway", {"backfill": reads.backfill})),
        prefetch=1,
    )
    context.http.router.add_post(
        webhooks.PATH,
        webhooks.webhook_route(
            gateway.connections, context.bus, gateway.echoes, Cursors(context.store)
        ),
    )
    context.http.router.add_get(
        START_PATH, start_route(context.settings, gateway.authorisations)
    )
    context.http.router.add_get(
        CALLBACK_PATH,
        callback_route(
            gateway.oauth,
            gateway.authorisations,
            gateway.connections,
            gateway.connected,
        ),
    )
    context.background.append(gateway.channels.run)
    serve_answers(
        context,
        SERVICE,
        "crm",
        gateway.connections,
        gateway.lookups,
        gateway.connected,
    )
    context.on_stop.append(gateway.close)


async def build(context: ServiceContext) -> Gateway:
    await context.store.ensure_indexes(
        [*CONNECTION_INDEXES, *CURSOR_INDEXES, *PARKED_WORK_INDEXES]
    )
    gateway = make_gateway(
        context.settings,
        context.store,
        context.bus,
        linger=context.settings.write_linger_seconds,
    )
    register(context, gateway)
    return gateway
