"""Running a handler over a queue: at-least-once, retried, dead-lettered.

Per message: claim the event (in this process, then in the inbox, so two
copies never run at once, here or in another process); a copy already done
is acked, one another live process is running is requeued. Run the handler;
publish what it returns and wait for the confirms; mark the inbox done; ack.
Any crash before the ack means redelivery, so handlers are idempotent and
derive the ids of what they emit from the input (``Envelope.caused(key=...)``).
Failures: retriable → the next retry queue (growing delay) until the attempt
cap, then dead letters; permanent → dead letters at once; ignorable → ack.
The payload is validated against its kind's model (``common/payloads.py``)
before the handler runs: a payload that does not fit fails like a handler
would, as a ``ValidationError`` about the message's own values, which
``classify`` makes permanent (dead letters on the first attempt).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel
from pydantic import ValidationError

from common.bus.bus import Bus
from common.bus.dead_letters import DeadLetters, Failure
from common.bus.in_flight import InFlight
from common.bus.topology import QueueSpec, pick_delay
from common.errors import PermanentError, RetriableError, classify
from common.inbox import Claim, Inbox, new_owner
from common.lanes import CURRENT_LANE
from common.message_timing import (
    CURRENT_TIMING,
    SLOW_LIVE_SECONDS,
    MessageTiming,
    published_at,
)
from common.messages import Envelope
from common.metrics import Metrics
from common.payloads import typed_payload
from common.store.times import from_stored, to_stored
from common.subjects import Subject, subject_of

log = structlog.get_logger(__name__)

Handler = Callable[[Envelope], Awaitable[Sequence[Envelope]]]
FIRST_FAILED_HEADER = "x-first-failed-at"
INFRASTRUCTURE_PAUSE = 1.0  # seconds before requeueing after a store/broker error
BUSY_PAUSE = 1.0  # seconds before requeueing a copy another process is running
BROKER_STEP_TIMEOUT = 2.0  # seconds for one broker call while stopping


class Consumer:
    def __init__(
        self,
        bus: Bus,
        spec: QueueSpec,
        handler: Handler,
        *,
        inbox: Inbox,
        dead_letters: DeadLetters,
        metrics: Metrics | None = None,
        prefetch: int | None = None,
    ) -> None:
        self.bus = bus
        self.spec = spec
        self.handler = handler
        self.inbox = inbox
        self.dead_letters = dead_letters
        self.metrics = metrics
        self.prefetch = prefetch or bus.settings.bus_prefetch
        self._channel: AbstractRobustChannel | None = None
        self._tag: str | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._handling = InFlight()
        self._owner = new_owner()
        self._claimed: set[str] = set()
        self._renewing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.bus.declare_queue(self.spec)
        self._channel = await self.bus.consumer_channel(self.prefetch)
        queue = await self._channel.declare_queue(
            self.bus.names.queue(self.spec.name),
            durable=True,
            arguments={"x-queue-type": self.bus.settings.bus_queue_type},
        )
        self._tag = await queue.consume(self._on_message)
        self._queue = queue
        self._renewing = asyncio.create_task(self._renew_claims())

    async def stop(self, grace: float = 20.0) -> None:
        """Stop taking messages, let in-flight ones finish, close the channel.

        Whatever is still unacked when the channel closes goes back to the
        queue, so a stop never loses a message. Every broker call here is
        bounded: with the broker gone (connection being re-established
        forever) a stop still ends within ``grace`` + ``BROKER_STEP_TIMEOUT``.
        """
        loop = asyncio.get_running_loop()
        grace_ends = loop.time() + grace
        if self._tag is not None:
            tag, self._tag = self._tag, None
            await _bounded(self._queue.cancel(tag), "cancel", self.spec.name)
        try:
            await asyncio.wait_for(
                self._idle.wait(), max(grace_ends - loop.time(), 0.01)
            )
        except TimeoutError:
            log.warning(
                "stop_with_in_flight", queue=self.spec.name, count=self._in_flight
            )
        if self._renewing is not None:
            self._renewing.cancel()
            self._renewing = None
        if self._channel is not None:
            channel, self._channel = self._channel, None
            await _bounded(channel.close(), "close_channel", self.spec.name)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._in_flight += 1
        self._idle.clear()
        if self.metrics:
            self.metrics.in_flight.inc()
        started = time.perf_counter()
        try:
            outcome = await self._process(message)
        except Exception as exc:  # broker or store trouble: let it come back
            outcome = "requeued"
            log.warning("message_requeued", queue=self.spec.name, error=repr(exc))
            # A requeued message comes straight back: wait a little first, so
            # a store outage is not a busy loop of redeliveries.
            await asyncio.sleep(INFRASTRUCTURE_PAUSE)
            # If the channel is gone the broker requeues it by itself.
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
            if self.metrics:
                self.metrics.in_flight.dec()
        if self.metrics:
            self.metrics.messages.labels(self.spec.name, outcome).inc()
            self.metrics.handler_seconds.labels(self.spec.name).observe(
                time.perf_counter() - started
            )

    async def _process(self, message: AbstractIncomingMessage) -> str:
        try:
            envelope = Envelope.from_bytes(message.body)
        except ValidationError as exc:
            await self._dead_letter(
                message, None, PermanentError(f"malformed message: {exc}"), 1
            )
            await message.ack()
            return "dead_lettered"
        event_id = str(envelope.event_id)
        CURRENT_LANE.set(envelope.lane)
        timing = MessageTiming(published_at(message.headers))
        CURRENT_TIMING.set(timing)
        if self.metrics and timing.queued is not None:
            self.metrics.queued_seconds.labels(self.spec.name).observe(timing.queued)
        # Every log line of this message, the handler's own included, carries
        # these (each delivery runs in its own task, so its own context).
        structlog.contextvars.bind_contextvars(
            tenant=envelope.tenant,
            event_id=event_id,
            correlation_id=str(envelope.correlation_id),
            attempt=envelope.attempt,
            routing_key=envelope.routing_key,
        )
        async with self._handling.hold(event_id):
            outcome = await self._claimed_run(message, envelope, event_id)
        if envelope.lane == "live" and timing.total() > SLOW_LIVE_SECONDS:
            log.warning("message_slow", outcome=outcome, **timing.fields())
        return outcome

    async def _claimed_run(
        self, message: AbstractIncomingMessage, envelope: Envelope, event_id: str
    ) -> str:
        timing = CURRENT_TIMING.get()
        started = time.perf_counter()
        claim = await self.inbox.claim(self.spec.name, event_id, self._owner)
        if timing is not None:
            timing.claim = time.perf_counter() - started
        if claim is Claim.DONE:
            await message.ack()
            return "duplicate"
        if claim is Claim.BUSY:
            # Another live process is running this event: come back when it
            # is done (then acked as a duplicate) or its lease has run out.
            await asyncio.sleep(BUSY_PAUSE)
            await message.nack(requeue=True)
            return "busy"
        self._claimed.add(event_id)
        try:
            outcome = await self._handle(message, envelope)
        except BaseException:
            await self._release(event_id)
            raise
        if outcome not in ("ok", "ignored"):  # retried or dead-lettered
            await self._release(event_id)
        else:
            self._claimed.discard(event_id)
        return outcome

    async def _release(self, event_id: str) -> None:
        self._claimed.discard(event_id)
        try:
            await self.inbox.release(self.spec.name, event_id, self._owner)
        except Exception as exc:  # the lease runs out by itself
            log.warning("claim_release_failed", error=repr(exc))

    async def _renew_claims(self) -> None:
        while True:
            await asyncio.sleep(self.inbox.lease / 3)
            try:
                await self.inbox.renew(self.spec.name, list(self._claimed), self._owner)
            except Exception as exc:  # the store is away: next round
                log.warning("claim_renewal_failed", error=repr(exc))

    async def _handle(
        self, message: AbstractIncomingMessage, envelope: Envelope
    ) -> str:
        timing = CURRENT_TIMING.get()
        started = time.perf_counter()
        try:
            # Once, here: the handler's ``payload_as`` returns this instance.
            typed_payload(envelope)
            outputs = await self.handler(envelope)
        except Exception as exc:
            outcome = await self._fail(message, envelope, exc)
            log.info("handler_failed", outcome=outcome, error=repr(exc))
            return outcome
        finally:
            if timing is not None:
                timing.handler = time.perf_counter() - started
        started = time.perf_counter()
        await self.bus.publish_many(outputs)
        if timing is not None:
            timing.publish = time.perf_counter() - started
        if self.metrics:
            for output in outputs:
                self.metrics.published.labels(output.kind).inc()
        await self.inbox.mark(self.spec.name, str(envelope.event_id))
        await message.ack()
        return "ok"

    async def _fail(
        self, message: AbstractIncomingMessage, envelope: Envelope, exc: Exception
    ) -> str:
        error_class = classify(exc, envelope.payload)
        if error_class == "ignorable":
            await self.inbox.mark(self.spec.name, str(envelope.event_id))
            await message.ack()
            return "ignored"
        settings = self.bus.settings
        if error_class == "retriable" and envelope.attempt < settings.bus_max_attempts:
            retry_after = exc.retry_after if isinstance(exc, RetriableError) else None
            delay = pick_delay(
                settings.bus_retry_delays, envelope.attempt, retry_after or 0
            )
            retry = envelope.model_copy(update={"attempt": envelope.attempt + 1})
            await self.bus.publish_raw(
                retry.to_bytes(),
                routing_key=self.bus.names.retry_queue(self.spec.name, delay),
                to_queue=True,
                message_id=str(envelope.event_id),
                headers={
                    FIRST_FAILED_HEADER: self._first_failed_at(message),
                    "x-last-error": str(exc)[:500],
                },
            )
            await message.ack()
            return "retried"
        await self._dead_letter(message, envelope, exc, envelope.attempt)
        await message.ack()
        return "dead_lettered"

    def _first_failed_at(
        self, message: AbstractIncomingMessage, now: datetime | None = None
    ) -> str:
        value = (message.headers or {}).get(FIRST_FAILED_HEADER)
        return str(value) if value else to_stored(now or datetime.now(UTC))

    async def _dead_letter(
        self,
        message: AbstractIncomingMessage,
        envelope: Envelope | None,
        exc: Exception,
        attempts: int,
    ) -> None:
        now = datetime.now(UTC)
        error_class = classify(exc, envelope.payload if envelope else None)
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        if error_class == "retriable":
            reason = f"gave up after {attempts} attempts: {reason}"
        subject = _subject(envelope, exc)
        await self.dead_letters.record(
            Failure(
                queue=self.spec.name,
                routing_key=envelope.routing_key
                if envelope
                else message.routing_key or "",
                body=message.body,
                reason=reason,
                error_type=type(exc).__name__,
                error_class=error_class,
                attempts=attempts,
                first_failed_at=from_stored(self._first_failed_at(message, now)),
                last_failed_at=now,
                event_id=str(envelope.event_id) if envelope else message.message_id,
                tenant=envelope.tenant if envelope else None,
                system=subject.system if subject else None,
                entity=subject.entity if subject else None,
                external_id=(subject.external_id or None) if subject else None,
                label=subject.label if subject else None,
            )
        )


def _subject(envelope: Envelope | None, exc: Exception) -> Subject | None:
    """The record the failure is about: the handler's word for it (the
    matcher names the record a person edited), else the envelope's own."""
    named = getattr(exc, "subject", None)
    if isinstance(named, Subject):
        return named
    if envelope is None:
        return None
    # No record named (a poll, a create's outcome): filed under the message's
    # side and entity, one letter per message.
    return subject_of(envelope) or Subject(envelope.system, envelope.entity, "")


async def _bounded(step: Awaitable[object], what: str, queue: str) -> None:
    """A broker call on the way out: give up after a few seconds (a broker
    that is gone must not hold the process), the broker requeues the rest."""
    try:
        await asyncio.wait_for(step, BROKER_STEP_TIMEOUT)
    except Exception as exc:
        log.warning("stop_step_failed", step=what, queue=queue, error=repr(exc))
