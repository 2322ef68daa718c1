"""Composition root of the qbo-gateway: the only code that talks to QBO."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
import structlog

from common.bus import QUEUES
from common.bus.requests import RequestServer
from common.connections import CONNECTION_INDEXES, Connections
from common.crypto import TokenCipher
from common.gateway.answers import responder
from common.gateway.calls import ApiCaller, RetryPolicy
from common.gateway.cursors import CURSOR_INDEXES, Cursors
from common.gateway.handlers import by_kind, parking
from common.gateway.leases import Leases
from common.gateway.limits import LimitSpec, RateLimits
from common.gateway.parking import PARKED_WORK_INDEXES, ParkedWork
from common.gateway.refusals import Refusals
from common.gateway.tokens import TokenManager
from common.messages import Envelope
from common.runtime import ServiceContext
from services.qbo_gateway import oauth
from services.qbo_gateway.client import QboClient
from services.qbo_gateway.connect import QboConnect
from services.qbo_gateway.create_claims import CreateClaims
from services.qbo_gateway.errors import classify
from services.qbo_gateway.lookups import QboLookups
from services.qbo_gateway.reads import QboReads, ReadSettings
from services.qbo_gateway.webhooks import QboWebhook
from services.qbo_gateway.writes import QboWrites

log = structlog.get_logger(__name__)

Handler = Callable[[Envelope], Awaitable[Sequence[Envelope]]]


async def build(context: ServiceContext) -> QboGateway:
    gateway = QboGateway(context)
    await gateway.start()
    return gateway


class QboGateway:
    """Everything the qbo-gateway is made of, exposed for tests."""

    def __init__(self, context: ServiceContext) -> None:
        settings = context.settings
        self.context = context
        self.connections = Connections(
            context.store,
            TokenCipher(settings.secret_key, settings.secret_key_previous),
        )
        self.session = aiohttp.ClientSession()
        owner = (
            f"qbo_gateway:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )
        self.tokens = TokenManager(
            self.connections,
            Leases(context.store, owner),
            "qbo",
            oauth.refresher(self.session),
        )
        self.limits = RateLimits(
            LimitSpec(
                per_minute=settings.qbo_requests_per_minute,
                concurrent=settings.qbo_concurrency,
                batch_per_minute=settings.qbo_batch_per_minute,
            )
        )
        caller = ApiCaller(
            self.tokens,
            self.limits,
            classify,
            RetryPolicy(throttle_default=settings.qbo_throttle_pause),
        )
        self.client = QboClient(self.session, caller, self.tokens)
        self.parked = ParkedWork(context.store)
        self.cursors = Cursors(context.store)
        self.reads = QboReads(
            self.client,
            context.bus,
            self.cursors,
            self.connections,
            Refusals(context.dead_letters, "qbo_gateway.tasks"),
            ReadSettings(backfill_page_size=settings.backfill_page_size),
        )
        self.writes = QboWrites(
            self.client,
            self.connections,
            self.parked,
            linger=settings.write_linger_seconds,
            claims=CreateClaims(context.store.db),
        )
        self.webhook = QboWebhook(self.connections, context.bus)
        self.connect = QboConnect(
            settings,
            context.store,
            self.connections,
            self.parked,
            context.bus,
            self.session,
        )

    async def start(self) -> None:
        context = self.context
        await context.store.ensure_indexes(
            [*CONNECTION_INDEXES, *CURSOR_INDEXES, *PARKED_WORK_INDEXES]
        )
        context.on_stop.append(self.session.close)
        context.http.router.add_post("/webhooks/qbo", self.webhook.receive)
        context.http.router.add_get("/oauth/qbo/start", self.connect.start)
        context.http.router.add_get("/oauth/qbo/callback", self.connect.callback)
        writes, tasks, backfill = QUEUES["qbo_gateway"]
        context.consume(writes, parking(self.parked, self.writes.handle), prefetch=64)
        context.consume(
            tasks,
            parking(
                self.parked,
                by_kind(
                    "qbo-gateway", {"fetch": self.reads.fetch, "poll": self.reads.poll}
                ),
            ),
            prefetch=8,
        )
        context.consume(backfill, parking(self.parked, self.reads.backfill), prefetch=1)
        answer = responder(
            "qbo", self.connections, QboLookups(self.client).label, self.connected
        )
        requests = RequestServer(context.bus, "qbo_gateway", "qbo", answer)
        context.on_start.append(requests.start)
        context.on_stop.append(requests.stop)

    async def connected(self, tenant: str) -> None:
        """A connection saved by an operator command: run its parked work."""
        resumed = await self.parked.resume(tenant, "qbo", self.context.bus)
        log.info("parked_work_resumed", tenant=tenant, count=resumed)
