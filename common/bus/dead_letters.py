"""Dead letters: what failed for good, why, and the way back (replay).

Each dead letter is a MongoDB document ops can query (by tenant, entity,
error class, reason) and a copy in the broker's dead-letter queue for
broker-side tools. Replay sends the original message, attempt reset, back
to the queue that failed, and removes the record only once the broker has
confirmed the publish: a crash in between leaves the record (replayed twice
at worst, which the consumer's inbox absorbs), never loses it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from common.bus.bus import Bus
from common.store import Store
from common.store.client import IndexSpec
from common.store.times import stored_now, to_stored

log = structlog.get_logger(__name__)

DEAD_LETTERS = "dead_letters"
DEAD_LETTER_INDEXES = [
    IndexSpec(DEAD_LETTERS, (("tenant", 1), ("last_failed_at", -1))),
    IndexSpec(DEAD_LETTERS, (("error_class", 1),)),
    IndexSpec(DEAD_LETTERS, (("entity", 1),)),
]
FILTER_FIELDS = ("tenant", "system", "entity", "queue", "error_class", "error_type")


@dataclass(frozen=True)
class Failure:
    queue: str  # base name, without the deployment prefix
    routing_key: str
    body: bytes
    reason: str
    error_type: str
    error_class: str  # retriable (attempts exhausted) | permanent
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    event_id: str | None = None
    tenant: str | None = None
    system: str | None = None
    entity: str | None = None
    external_id: str | None = None


def _reset_attempt(body: bytes) -> bytes:
    """The original message with its attempt counter back at 1."""
    try:
        data = json.loads(body)
    except ValueError:
        return body  # malformed: replay as it came, it will fail the same way
    if isinstance(data, dict) and "attempt" in data:
        data["attempt"] = 1
    return json.dumps(data).encode()


class DeadLetters:
    def __init__(self, store: Store, bus: Bus) -> None:
        self._collection = store.db[DEAD_LETTERS]
        self._bus = bus

    async def record(self, failure: Failure) -> str:
        record_id = f"{failure.queue}:{failure.event_id or stored_now()}"
        document: dict[str, Any] = {
            "_id": record_id,
            "queue": failure.queue,
            "routing_key": failure.routing_key,
            "body": failure.body.decode("utf-8", errors="replace"),
            "reason": failure.reason,
            "error_type": failure.error_type,
            "error_class": failure.error_class,
            "attempts": failure.attempts,
            "first_failed_at": to_stored(failure.first_failed_at),
            "last_failed_at": to_stored(failure.last_failed_at),
            "event_id": failure.event_id,
            "tenant": failure.tenant,
            "system": failure.system,
            "entity": failure.entity,
            "external_id": failure.external_id,
        }
        await self._collection.replace_one({"_id": record_id}, document, upsert=True)
        await self._bus.publish_raw(
            failure.body,
            routing_key=self._bus.names.dead_letters,
            to_queue=True,
            headers={
                "x-reason": failure.reason[:1000],
                "x-error-type": failure.error_type,
                "x-error-class": failure.error_class,
                "x-attempts": failure.attempts,
                "x-first-failed-at": document["first_failed_at"],
                "x-last-failed-at": document["last_failed_at"],
                "x-original-routing-key": failure.routing_key,
                "x-original-queue": failure.queue,
            },
            message_id=failure.event_id,
        )
        log.warning(
            "dead_lettered",
            queue=failure.queue,
            routing_key=failure.routing_key,
            reason=failure.reason,
            error_class=failure.error_class,
            attempts=failure.attempts,
        )
        return record_id

    async def list(
        self,
        where: Mapping[str, str | None] | None = None,
        *,
        limit: int = 100,
        skip: int = 0,
        **filters: str | None,
    ) -> list[dict[str, Any]]:
        query = _query({**(where or {}), **filters})
        cursor = (
            self._collection.find(query)
            .sort("last_failed_at", -1)
            .skip(skip)
            .limit(limit)
        )
        return [document async for document in cursor]

    async def count(self, **filters: str | None) -> int:
        return await self._collection.count_documents(_query(filters))

    async def get(self, record_id: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": record_id})

    async def replay(self, record_id: str) -> bool:
        document = await self.get(record_id)
        if document is None:
            return False
        await self._bus.publish_raw(
            _reset_attempt(document["body"].encode()),
            routing_key=self._bus.names.queue(document["queue"]),
            to_queue=True,
            message_id=document.get("event_id"),
            headers={"x-replayed": 1},
        )
        await self._collection.delete_one({"_id": record_id})
        log.info("dead_letter_replayed", record_id=record_id)
        return True

    async def replay_matching(self, **filters: str | None) -> int:
        replayed = 0
        async for document in self._collection.find(_query(filters), {"_id": 1}):
            if await self.replay(document["_id"]):
                replayed += 1
        return replayed

    async def discard(self, record_id: str) -> bool:
        result = await self._collection.delete_one({"_id": record_id})
        if result.deleted_count:
            log.info("dead_letter_discarded", record_id=record_id)
        return bool(result.deleted_count)


def _query(filters: Mapping[str, str | None]) -> dict[str, Any]:
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise ValueError(
            f"unknown dead-letter filter {sorted(unknown)}; use {FILTER_FIELDS}"
        )
    return {key: value for key, value in filters.items() if value is not None}
