"""The connection to RabbitMQ: topology, confirmed publishing, consumers.

aio-pika's robust connection reconnects by itself and restores channels,
queues and consumers. Publishes wait for the broker's confirm; a publish
that fails because the connection is being re-established is tried again
until ``confirm_timeout`` has passed, then raises: the caller (a webhook
route, a consumer) must not treat the message as sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractExchange,
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustQueue,
)
from aiormq.exceptions import ChannelNotFoundEntity, DeliveryError

from common.bus.topology import (
    DEAD_LETTER_ARCHIVE_TTL_MS,
    QUEUES,
    Names,
    QueueSpec,
    tenant_queue,
)
from common.message_timing import PUBLISHED_AT_HEADER, published_now
from common.messages import Envelope
from common.settings import Settings

log = structlog.get_logger(__name__)


class UnroutableError(Exception):
    """The broker had no queue for the routing key: the message went nowhere."""


class PublishFailed(Exception):
    """The broker did not confirm the message in time."""


class Bus:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.names = Names(settings.bus_prefix, settings.bus_exchange)
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._default_exchange: AbstractExchange | None = None
        self.reconnects = 0
        self._tenant_queues: set[str] = set()

    async def connect(self) -> None:
        self._connection = await aio_pika.connect_robust(
            self.settings.amqp_url.get_secret_value(),
            client_properties={"connection_name": "zoho-qbo-sync"},
        )
        self._connection.reconnect_callbacks.add(self._on_reconnect)
        # One channel for publishing, with confirms and returns of unroutables.
        self._channel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        assert self._channel is not None
        self._exchange = await self._channel.declare_exchange(
            self.names.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self._default_exchange = self._channel.default_exchange
        await self._channel.declare_queue(
            self.names.dead_letters,
            durable=True,
            arguments={
                **self._queue_arguments,
                "x-message-ttl": DEAD_LETTER_ARCHIVE_TTL_MS,
            },
        )

    @property
    def _queue_arguments(self) -> dict[str, Any]:
        # Quorum queues for replicated brokers (deploy/k8s); a queue's type is
        # fixed when it is first declared.
        return {"x-queue-type": self.settings.bus_queue_type}

    def _on_reconnect(self, *_: object) -> None:
        self.reconnects += 1
        log.info("broker_reconnected", reconnects=self.reconnects)

    @property
    def is_connected(self) -> bool:
        # A robust connection is not "closed" while it keeps trying to get
        # back (a vhost deleted, the broker down): ask whether it is up now.
        connection = self._connection
        return (
            connection is not None
            and not connection.is_closed
            and connection.connected.is_set()
        )

    async def _declare_tenant_queue(self, spec: QueueSpec) -> None:
        """A tenant's bulk queue exists before its first message is published
        (else the message would be unroutable); declared once per process."""
        if spec.name not in self._tenant_queues:
            await self.declare_queue(spec)
            self._tenant_queues.add(spec.name)

    async def declare_service_queues(self, service: str) -> None:
        for spec in QUEUES[service]:
            await self.declare_queue(spec)

    async def retire_queue(self, spec: QueueSpec) -> bool:
        """Unbind a queue an earlier version declared (``RETIRED_QUEUES``),
        so nothing new reaches it; True if it exists (what it still holds is
        for the service to drain), False if it never did."""
        name = self.names.queue(spec.name)
        if (await self.queue_counts([name]))[name] is None:
            return False
        queue = await self._require_channel().get_queue(name, ensure=True)
        for pattern in spec.bindings:
            await queue.unbind(self.names.exchange, routing_key=pattern)
        return True

    async def declare_queue(self, spec: QueueSpec) -> AbstractRobustQueue:
        channel = self._require_channel()
        name = self.names.queue(spec.name)
        queue = await channel.declare_queue(
            name, durable=True, arguments=self._queue_arguments
        )
        for pattern in spec.bindings:
            await queue.bind(self.names.exchange, routing_key=pattern)
        for delay in self.settings.bus_retry_delays:
            await channel.declare_queue(
                self.names.retry_queue(spec.name, delay),
                durable=True,
                arguments={
                    **self._queue_arguments,
                    "x-message-ttl": round(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": name,
                },
            )
        return queue

    async def publish(self, envelope: Envelope) -> None:
        if envelope.lane == "bulk":
            spec = tenant_queue(envelope.kind, envelope.system, envelope.tenant)
            if spec is not None:
                await self._declare_tenant_queue(spec)
        await self.publish_raw(
            envelope.to_bytes(),
            routing_key=envelope.routing_key,
            headers=_headers_of(envelope),
            message_id=str(envelope.event_id),
        )

    async def publish_many(self, envelopes: Sequence[Envelope]) -> None:
        """Publish concurrently; returns once every one is confirmed."""
        await asyncio.gather(*(self.publish(envelope) for envelope in envelopes))

    async def publish_raw(
        self,
        body: bytes,
        *,
        routing_key: str,
        headers: dict[str, Any] | None = None,
        message_id: str | None = None,
        to_queue: bool = False,
    ) -> None:
        """Publish and wait for the confirm.

        ``to_queue`` sends through the default exchange straight to the queue
        named ``routing_key`` (retries, dead letters, replays).
        """
        message = aio_pika.Message(
            body,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            content_type="application/json",
            headers={**(headers or {}), PUBLISHED_AT_HEADER: published_now()},
            message_id=message_id,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.bus_confirm_timeout
        while True:
            exchange = self._default_exchange if to_queue else self._exchange
            if exchange is None:
                raise PublishFailed("bus is not connected")
            remaining = deadline - loop.time()
            try:
                await exchange.publish(
                    message, routing_key, mandatory=True, timeout=max(remaining, 0.1)
                )
                return
            except DeliveryError as exc:
                raise UnroutableError(
                    f"no queue is bound for routing key {routing_key!r}"
                ) from exc
            except TimeoutError as exc:
                raise PublishFailed(
                    f"no confirm for {routing_key!r} within "
                    f"{self.settings.bus_confirm_timeout}s"
                ) from exc
            except Exception as exc:  # connection lost mid-publish: wait, retry
                if loop.time() >= deadline:
                    raise PublishFailed(f"publish to {routing_key!r} failed") from exc
                log.warning("publish_retry", routing_key=routing_key, error=repr(exc))
                await asyncio.sleep(0.2)

    def _require_channel(self) -> AbstractRobustChannel:
        if self._channel is None:
            raise RuntimeError("Bus.connect() first")
        return self._channel

    async def queue_depth(self, name: str) -> int:
        """Messages ready in the queue called ``name`` (prefix included)."""
        channel = await self._require_channel().get_underlay_channel()
        result = await channel.queue_declare(queue=name, passive=True)
        return int(result.message_count or 0)

    async def queue_counts(
        self, names: Sequence[str]
    ) -> dict[str, tuple[int, int] | None]:
        """Messages ready and consumers of each queue (prefix included); None
        for a queue not declared yet. Passive declares on a raw channel of
        their own: asking about a missing queue closes the channel it is
        asked on, so never the publishing one (queue_depth's)."""
        transport = self._connection.transport if self._connection else None
        if transport is None:
            raise RuntimeError("Bus.connect() first")
        counts: dict[str, tuple[int, int] | None] = {}
        channel = await transport.connection.channel()
        try:
            for name in names:
                try:
                    ok = await channel.queue_declare(name, passive=True)
                except ChannelNotFoundEntity:
                    counts[name] = None
                    channel = await transport.connection.channel()
                    continue
                counts[name] = (int(ok.message_count or 0), int(ok.consumer_count or 0))
        finally:
            if not channel.is_closed:
                await channel.close()
        return counts

    async def consumer_channel(self, prefetch: int) -> AbstractRobustChannel:
        """A channel for one consumer, so its prefetch bounds only its queue."""
        if self._connection is None:
            raise RuntimeError("Bus.connect() first")
        channel = await self._connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._channel = None
        self._exchange = self._default_exchange = None


def _headers_of(envelope: Envelope) -> dict[str, Any]:
    return {
        "tenant": envelope.tenant,
        "attempt": envelope.attempt,
        "correlation_id": str(envelope.correlation_id),
    }
