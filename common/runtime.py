"""The service runtime: start, serve health, stop gracefully.

Every service is ``run_service(name, build)``: the runtime opens the store
(indexes created), connects the bus (topology declared), lets ``build`` add
consumers, routes and background tasks (the composition root), serves
``/healthz`` ``/readyz`` ``/metrics``, and on SIGTERM/SIGINT stops consuming,
lets in-flight messages finish (the rest are requeued by the broker), and
closes everything.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from common.bus import DEAD_LETTER_INDEXES, Bus, Consumer, DeadLetters, QueueSpec
from common.bus.consumer import Handler
from common.inbox import Inbox, expire_inbox, inbox_indexes
from common.logging import configure_logging
from common.loop_watch import watch_loop
from common.metrics import Metrics
from common.settings import Settings
from common.store import Store, open_store
from common.store.client import IndexSpec

log = structlog.get_logger(__name__)


@dataclass
class ServiceContext:
    """What a service's composition root is handed, and what it adds."""

    name: str
    settings: Settings
    store: Store
    bus: Bus
    metrics: Metrics
    inbox: Inbox
    dead_letters: DeadLetters
    http: web.Application
    consumers: list[Consumer] = field(default_factory=list)
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(
        default_factory=list
    )
    # Run once the build is done, before the consumers start and before the
    # service reports ready (e.g. answering operators' requests).
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def consume(
        self, spec: QueueSpec, handler: Handler, prefetch: int | None = None
    ) -> Consumer:
        """A consumer of ``spec``, started with the service (one added once
        the service runs is started by whoever added it)."""
        consumer = Consumer(
            self.bus,
            spec,
            handler,
            inbox=self.inbox,
            dead_letters=self.dead_letters,
            metrics=self.metrics,
            prefetch=prefetch,
        )
        self.consumers.append(consumer)
        return consumer


# A composition root may return what it built (tests reach into it).
Build = Callable[[ServiceContext], Awaitable[object]]
COMMON_INDEXES: list[IndexSpec] = [*DEAD_LETTER_INDEXES]
INBOX_SWEEP_SECONDS = 3600
STOP_GRACE = 20.0  # seconds in-flight handlers get to finish on SIGTERM
STOP_MARGIN = 5.0  # seconds the closing steps after the grace share at most
MIN_STEP_SECONDS = 0.2  # a closing step past the margin still gets a try


class ServiceRunner:
    def __init__(self, name: str, settings: Settings, build: Build) -> None:
        self.name = name
        self.settings = settings
        self.build = build
        self.context: ServiceContext | None = None
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._http_runner: web.AppRunner | None = None
        self.port: int | None = None
        self.built: object = None

    async def start(self, port: int | None = None) -> None:
        settings = self.settings
        store = await open_store(settings, share=True)
        await store.ensure_indexes([*COMMON_INDEXES, *inbox_indexes(store)])
        bus = Bus(settings)
        await bus.connect()
        metrics = Metrics(self.name)
        metrics.count_store_commands(store.commands)
        http = web.Application()
        context = ServiceContext(
            name=self.name,
            settings=settings,
            store=store,
            bus=bus,
            metrics=metrics,
            inbox=Inbox(store),
            dead_letters=DeadLetters(store, bus),
            http=http,
        )
        self.context = context
        await bus.declare_service_queues(self.name)
        self.built = await self.build(context)
        http.router.add_get("/healthz", self._healthz)
        http.router.add_get("/readyz", self._readyz)
        http.router.add_get("/metrics", self._metrics)
        for hook in context.on_start:
            await hook()
        for consumer in context.consumers:
            await consumer.start()
        if not store.ttl_indexes_are_cheap:
            context.background.append(lambda: _sweep_inbox(store))
        context.background.append(lambda: watch_loop(metrics))
        for job in context.background:
            self._tasks.append(asyncio.create_task(job()))
        self._http_runner = web.AppRunner(http, access_log=None)
        await self._http_runner.setup()
        bind_port = settings.http_port(self.name) if port is None else port
        site = web.TCPSite(self._http_runner, settings.http_host, bind_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else bind_port
        log.info("service_started", http=f"http://{settings.http_host}:{self.port}")

    async def stop(self) -> None:
        """Stop within ``STOP_GRACE`` + ``STOP_MARGIN``, whatever state the
        broker and the store are in: every await on the way out is bounded,
        and what is still unacked goes back to the queue when the connection
        closes (or has closed already)."""
        context = self.context
        if context is None:
            return
        log.info("service_stopping", in_flight_consumers=len(context.consumers))
        loop = asyncio.get_running_loop()
        closed_by = loop.time() + STOP_GRACE + STOP_MARGIN
        # The consumers share one grace: in-flight handlers finish together.
        # Consumer.stop bounds its own broker calls.
        stopped = await asyncio.gather(
            *(consumer.stop(STOP_GRACE) for consumer in context.consumers),
            return_exceptions=True,
        )
        for error in (e for e in stopped if isinstance(e, BaseException)):
            log.warning("consumer_stop_failed", error=repr(error))

        def left() -> float:
            return max(closed_by - loop.time(), MIN_STEP_SECONDS)

        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await _bounded(
                asyncio.gather(*self._tasks, return_exceptions=True),
                "background_tasks",
                left(),
            )
        for hook in context.on_stop:
            await _bounded(hook(), "on_stop", left())
        if self._http_runner is not None:
            await _bounded(self._http_runner.cleanup(), "http", left())
        await _bounded(context.bus.close(), "bus", left())
        await _bounded(context.store.close(), "store", left())
        self.context = None
        log.info("service_stopped")

    async def run_until_signalled(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stopping.set)
        await self.start()
        try:
            await self._stopping.wait()
        finally:
            await self.stop()

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": self.name})

    async def _readyz(self, _: web.Request) -> web.Response:
        context = self.context
        broker = context is not None and context.bus.is_connected
        store = context is not None and await context.store.ping()
        if context is not None:
            context.metrics.up.labels("broker").set(1 if broker else 0)
            context.metrics.up.labels("store").set(1 if store else 0)
        ready = broker and store
        return web.json_response(
            {
                "status": "ready" if ready else "not ready",
                "broker": "up" if broker else "down",
                "store": "up" if store else "down",
            },
            status=200 if ready else 503,
        )

    async def _metrics(self, _: web.Request) -> web.Response:
        if self.context is None:
            return web.Response(status=503)
        body = generate_latest(self.context.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _sweep_inbox(store: Store) -> None:
    while True:
        try:
            expired = await expire_inbox(store)
            log.debug("inbox_expired", count=expired)
        except Exception as exc:  # the store is away: next round
            log.warning("inbox_expiry_failed", error=repr(exc))
        await asyncio.sleep(INBOX_SWEEP_SECONDS)


async def _bounded(step: Awaitable[object], what: str, seconds: float) -> None:
    """One step of a stop: a step that hangs (a broker whose vhost is gone,
    a store that does not answer) is abandoned, the stop goes on."""
    try:
        await asyncio.wait_for(step, seconds)
    except Exception as exc:
        log.warning("stop_step_abandoned", step=what, error=repr(exc))


def run_service(name: str, build: Build, settings: Settings | None = None) -> None:
    settings = settings or Settings()
    configure_logging(name, settings.log_level, settings.log_format)
    asyncio.run(ServiceRunner(name, settings, build).run_until_signalled())
