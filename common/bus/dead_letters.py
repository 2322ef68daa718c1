"""Dead letters: what failed for good, why, about which record, and the way
back (replay).

Each dead letter is a MongoDB document ops can query and a copy in the
broker's dead-letter queue for broker-side tools. It names its *subject*, the
record a person edited (``system``, ``entity``, ``external_id``, ``label``;
the filters match these), and is kept *open* once per tenant, subject and
cause (the stage that failed: the queue): the same record failing again at
the same stage updates that one letter (``occurrences`` counted,
``first_failed_at`` kept, the newest message kept for replay) instead of
adding another. A failure naming no record is keyed by its event id.

The letter closes by itself when its record later syncs (``close``: the
matcher calls it). Replay sends the newest message, attempt reset, back to
the queue that failed, and removes the letter once the broker confirmed the
publish, but only if no fresh failure updated it meanwhile (a replay token,
compare-and-delete): a crash in between leaves the letter (replayed twice
at worst, which the consumer's inbox absorbs), and a replayed message that
fails again at once keeps its letter open.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError

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
    IndexSpec(DEAD_LETTERS, (("tenant", 1), ("external_id", 1))),
]
FILTER_FIELDS = ("tenant", "system", "entity", "queue", "error_class", "error_type")
RECORD_RACES = 5  # concurrent failures of one record: compare-and-set rounds


@dataclass(frozen=True)
class Failure:
    """One failure. ``system``/``entity``/``external_id``/``label`` name its
    subject (the record a person edited), not necessarily the message's."""

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
    label: str | None = None

    @property
    def key(self) -> str:
        """One open letter per tenant, subject and cause (the queue)."""
        if self.tenant and self.system and self.entity and self.external_id:
            subject = f"{self.tenant}|{self.system}|{self.entity}|{self.external_id}"
            return f"{self.queue}:{subject}"
        return f"{self.queue}:{self.event_id or stored_now()}"


def _reset_attempt(body: bytes) -> bytes:
    """The original message with its attempt counter back at 1."""
    try:
        data = json.loads(body)
    except ValueError:
        return body  # malformed: replay as it came, it will fail the same way
    if isinstance(data, dict) and "attempt" in data:
        data["attempt"] = 1
    return json.dumps(data).encode()


def _document(failure: Failure, earlier: Mapping[str, Any] | None) -> dict[str, Any]:
    """The letter after ``failure``: a repeat keeps when it first failed and
    counts; the newest message is the one a replay sends."""
    first = to_stored(failure.first_failed_at)
    if earlier is not None:
        first = min(first, str(earlier.get("first_failed_at") or first))
    return {
        "_id": failure.key,
        "queue": failure.queue,
        "routing_key": failure.routing_key,
        "body": failure.body.decode("utf-8", errors="replace"),
        "reason": failure.reason,
        "error_type": failure.error_type,
        "error_class": failure.error_class,
        "attempts": failure.attempts,
        "occurrences": _occurrences(earlier) + 1,
        "first_failed_at": first,
        "last_failed_at": to_stored(failure.last_failed_at),
        "event_id": failure.event_id,
        "tenant": failure.tenant,
        "system": failure.system,
        "entity": failure.entity,
        "external_id": failure.external_id,
        "label": failure.label,
    }


def _occurrences(earlier: Mapping[str, Any] | None) -> int:
    if earlier is None:
        return 0
    return int(earlier.get("occurrences") or 1)  # letters from before counted once


async def close_open(
    db: Any, tenant: str, system: str, entity: str, external_id: str
) -> int:
    """Close every open letter about this record (it synced); how many."""
    result = await db[DEAD_LETTERS].delete_many(
        {
            "tenant": tenant,
            "external_id": external_id,
            "system": system,
            "entity": entity,
        }
    )
    return int(result.deleted_count)


class DeadLetters:
    def __init__(self, store: Store, bus: Bus) -> None:
        self._db = store.db
        self._collection = store.db[DEAD_LETTERS]
        self._bus = bus

    async def record(self, failure: Failure) -> str:
        """Open a letter for ``failure``, or update the open one of its record
        and cause (compare-and-set, so concurrent failures all count)."""
        record_id = failure.key
        document = _document(failure, None)
        for _ in range(RECORD_RACES):
            earlier = await self._collection.find_one({"_id": record_id})
            document = _document(failure, earlier)
            if earlier is None:
                try:
                    await self._collection.insert_one(document)
                    break
                except DuplicateKeyError:
                    continue
            # Replacing drops a replay token: the replay must not delete this.
            result = await self._collection.replace_one(
                {"_id": record_id, "last_failed_at": earlier["last_failed_at"]},
                document,
            )
            if result.matched_count == 1:
                break
        else:
            await self._collection.replace_one(
                {"_id": record_id}, document, upsert=True
            )
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
            record_id=record_id,
            occurrences=document["occurrences"],
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
        marked = await self._mark_replaying(record_id)
        if marked is None:
            return False
        document, token = marked
        await self._bus.publish_raw(
            _reset_attempt(document["body"].encode()),
            routing_key=self._bus.names.queue(document["queue"]),
            to_queue=True,
            message_id=document.get("event_id"),
            headers={"x-replayed": 1},
        )
        # Only the letter we replayed: a failure recorded since (the replayed
        # message failing again already) replaced it without our token.
        result = await self._collection.delete_one(
            {"_id": record_id, "replay_token": token}
        )
        log.info(
            "dead_letter_replayed",
            record_id=record_id,
            closed=bool(result.deleted_count),
        )
        return True

    async def _mark_replaying(
        self, record_id: str
    ) -> tuple[dict[str, Any], str] | None:
        """Put a fresh replay token on the letter as read (compare-and-set)."""
        for _ in range(RECORD_RACES):
            document = await self.get(record_id)
            if document is None:
                return None
            token = uuid.uuid4().hex
            result = await self._collection.update_one(
                {"_id": record_id, "last_failed_at": document["last_failed_at"]},
                {"$set": {"replay_token": token}},
            )
            if result.matched_count == 1:
                return document, token
        return None

    async def close(
        self, tenant: str, system: str, entity: str, external_id: str
    ) -> int:
        return await close_open(self._db, tenant, system, entity, external_id)

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
