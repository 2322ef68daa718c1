"""Webhook notifications as Intuit sends them: changes batched over a short
window, one notification per realm, signed with the verifier token, retried
with backoff while the receiver fails (later ones wait their turn)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from services.qbo_sandbox.clock import Clock, webhook_time
from services.qbo_sandbox.company import Change
from services.qbo_sandbox.config import WebhookTiming
from services.qbo_sandbox.responses import DEFAULT_TZ


def sign(verifier_token: str, body: bytes) -> str:
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Receiver:
    url: str
    verifier_token: str
    entities: list[str] = field(default_factory=list)  # empty = all


@dataclass
class Notification:
    number: int
    realm_id: str
    changes: list[Change]


class WebhookDispatcher:
    def __init__(self, timing: WebhookTiming, clock: Clock) -> None:
        self.timing = timing
        self.clock = clock
        self.receiver: Receiver | None = None
        self.pending: list[Change] = []
        self.outbox: asyncio.Queue[Notification] = asyncio.Queue()
        self.deliveries: list[dict[str, Any]] = []
        self.wakeup = asyncio.Event()
        self.numbers = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession()
        self.tasks = [
            asyncio.create_task(self.collect()),
            asyncio.create_task(self.send_in_order()),
        ]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.session is not None:
            await self.session.close()

    def configure(self, receiver: Receiver | None) -> None:
        self.receiver = receiver

    def clear(self) -> None:
        self.pending.clear()
        self.deliveries.clear()
        while not self.outbox.empty():
            self.outbox.get_nowait()

    def enqueue(self, change: Change) -> None:
        receiver = self.receiver
        if receiver is None or (
            receiver.entities and change.entity not in receiver.entities
        ):
            return
        self.pending.append(change)
        self.wakeup.set()

    async def collect(self) -> None:
        while True:
            await self.wakeup.wait()
            await asyncio.sleep(self.timing.batch_window_seconds)
            self.wakeup.clear()
            batch, self.pending = self.pending, []
            by_realm: dict[str, list[Change]] = {}
            for change in batch:
                by_realm.setdefault(change.realm_id, []).append(change)
            for realm_id, changes in by_realm.items():
                self.numbers += 1
                await self.outbox.put(Notification(self.numbers, realm_id, changes))

    def payload(self, notification: Notification) -> bytes:
        entities = [
            {
                "name": change.entity,
                "id": change.entity_id,
                "operation": change.operation,
                "lastUpdated": webhook_time(
                    change.when, change.when.tzinfo or DEFAULT_TZ
                ),
            }
            for change in notification.changes
        ]
        body = {
            "eventNotifications": [
                {
                    "realmId": notification.realm_id,
                    "dataChangeEvent": {"entities": entities},
                }
            ]
        }
        return json.dumps(body).encode()

    async def send_in_order(self) -> None:
        while True:
            notification = await self.outbox.get()
            await self.deliver(notification)

    async def deliver(self, notification: Notification) -> None:
        body = self.payload(notification)
        schedule = self.timing.retry_schedule_seconds
        for attempt in range(1, self.timing.max_attempts + 1):
            receiver = self.receiver
            if receiver is None:
                return
            if await self.attempt(notification, receiver, body, attempt):
                return
            wait = schedule[min(attempt - 1, len(schedule) - 1)] if schedule else 0.0
            await asyncio.sleep(wait)

    async def attempt(
        self, notification: Notification, receiver: Receiver, body: bytes, attempt: int
    ) -> bool:
        assert self.session is not None
        headers = {
            "intuit-signature": sign(receiver.verifier_token, body),
            "intuit-created-time": webhook_time(self.clock.now(), DEFAULT_TZ),
            "intuit-t-id": str(uuid.uuid4()),
            "intuit-notification-schema-version": "0.1",
            "User-Agent": "intuit_notification_server/0.1",
            "Content-Type": "application/json; charset=utf-8",
        }
        record: dict[str, Any] = {
            "notification": notification.number,
            "attempt": attempt,
            "realm_id": notification.realm_id,
            "url": receiver.url,
            "body": body.decode(),
            "headers": headers,
            "sent_at": self.clock.now().isoformat(),
            "status": None,
            "error": None,
        }
        timeout = aiohttp.ClientTimeout(total=self.timing.request_timeout_seconds)
        try:
            async with self.session.post(
                receiver.url, data=body, headers=headers, timeout=timeout
            ) as response:
                record["status"] = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            record["error"] = f"{type(error).__name__}: {error}"
        record["delivered"] = (
            record["status"] is not None and 200 <= record["status"] < 300
        )
        self.deliveries.append(record)
        return bool(record["delivered"])
