"""Ask a gateway a question over the bus and wait for its answer.

Operator commands must check what only a gateway can check (is this tenant
connected? does Zoho have contact 123?) and report the answer, instead of
publishing a task and printing "requested". A request goes to
``request.<system>.<entity>``; each gateway consumes ``<service>.requests``
and answers on the asker's own exclusive reply queue.

Requests are not durable work: the queue is not durable and each request
expires after the asker's timeout, so a gateway started later never acts on
a question nobody is waiting for. The asker opens a connection of its own
(it is a short-lived command, not a service).

Actions (common/gateway/answers.py answers them): ``check``, ``connected``,
``lookup`` (a record's label), ``read`` (one record read now, translated)
and ``page`` (one page of an entity's records, translated, for a reconcile).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel
from aiormq.exceptions import ChannelNotFoundEntity
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.bus.bus import Bus
from common.settings import Settings

log = structlog.get_logger(__name__)

Action = Literal["check", "lookup", "connected", "read", "page"]
DEFAULT_TIMEOUT = 15.0
# A page answer stays far below RabbitMQ's message size limit (128 MiB by
# default in 3.x, 16 MiB since 4.0): 200 ten-line invoices are ~650 KiB.
MAX_PAGE_SIZE = 200


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Action
    tenant: str
    entity: str = "*"
    external_id: str | None = None
    # page: where the previous page ended (None: the first page), and how many
    cursor: str | None = None
    page_size: int | None = Field(default=None, ge=1, le=MAX_PAGE_SIZE)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    reason: str = ""
    label: str | None = None  # how a person knows the record (name, email, number)
    # read: the canonical record as JSON (common/records.py, mode="json")
    record: dict[str, Any] | None = None
    # page: one item per record, {"external_id", "label", "record"} (record
    # None and "error" set when it does not translate); next_cursor None at
    # the end
    records: list[dict[str, Any]] | None = None
    next_cursor: str | None = None


class NoAnswer(Exception):
    """Nobody answered: the gateway is not running, or too slow."""


def request_queue(service: str) -> str:
    return f"{service}.requests"


def request_key(system: str, entity: str) -> str:
    return f"request.{system}.{entity}"


async def ask(
    settings: Settings,
    service: str,
    system: str,
    request: Request,
    wait_seconds: float = DEFAULT_TIMEOUT,
) -> Answer:
    """Send ``request`` to ``service``; its answer, within ``wait_seconds``."""
    names = Bus(settings).names
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    try:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(
                names.queue(request_queue(service)), passive=True
            )
        except ChannelNotFoundEntity as exc:
            raise NoAnswer(f"the {service} has never run on this broker") from exc
        if not declared.declaration_result.consumer_count:
            raise NoAnswer(f"the {service} is not running (nobody takes requests)")
        replies = await channel.declare_queue(exclusive=True, auto_delete=True)
        correlation = uuid.uuid4().hex
        answered: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def on_reply(message: AbstractIncomingMessage) -> None:
            async with message.process():
                if message.correlation_id == correlation and not answered.done():
                    answered.set_result(message.body)

        await replies.consume(on_reply)
        exchange = await channel.get_exchange(names.exchange, ensure=False)
        await exchange.publish(
            aio_pika.Message(
                request.model_dump_json().encode(),
                content_type="application/json",
                correlation_id=correlation,
                reply_to=replies.name,
                expiration=wait_seconds,
            ),
            routing_key=request_key(system, request.entity),
        )
        try:
            body = await asyncio.wait_for(answered, wait_seconds)
        except TimeoutError as exc:
            raise NoAnswer(
                f"the {service} did not answer within {wait_seconds:g} s"
            ) from exc
        return Answer.model_validate_json(body)
    finally:
        await connection.close()


Responder = Callable[[Request], Awaitable[Answer]]


class RequestServer:
    """Answers requests on ``<service>.requests``; started before the service
    reports ready, so a command that finds it running gets an answer."""

    def __init__(self, bus: Bus, service: str, system: str, respond: Responder) -> None:
        self.bus = bus
        self.service = service
        self.system = system
        self.respond = respond
        self._channel: AbstractRobustChannel | None = None

    async def start(self, concurrency: int = 8) -> None:
        channel = self._channel = await self.bus.consumer_channel(concurrency)
        queue = await channel.declare_queue(
            self.bus.names.queue(request_queue(self.service)),
            durable=False,
            arguments={"x-queue-type": "classic"},
        )
        await queue.bind(
            self.bus.names.exchange, routing_key=request_key(self.system, "*")
        )

        async def on_request(message: AbstractIncomingMessage) -> None:
            async with message.process(requeue=False):
                answer = await _answer(self.respond, message.body)
                if message.reply_to:
                    await channel.default_exchange.publish(
                        aio_pika.Message(
                            answer.model_dump_json().encode(),
                            content_type="application/json",
                            correlation_id=message.correlation_id,
                        ),
                        routing_key=message.reply_to,
                    )

        await queue.consume(on_request)

    async def stop(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(channel.close(), 5)


async def _answer(respond: Responder, body: bytes) -> Answer:
    try:
        request = Request.model_validate_json(body)
    except ValidationError as exc:
        return Answer(ok=False, reason=f"malformed request: {_first_error(exc)}")
    try:
        return await respond(request)
    except Exception as exc:  # the asker gets the reason, the service goes on
        log.warning("request_failed", action=request.action, error=repr(exc))
        return Answer(ok=False, reason=str(exc) or type(exc).__name__)


def _first_error(exc: ValidationError) -> Any:
    error = exc.errors()[0]
    return f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
