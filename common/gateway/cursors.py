"""Poll watermarks and backfill progress, one document each.

A watermark only moves after the changes read up to it are published and
confirmed; polls re-read from the watermark with ``>=`` (overlap is expected
and harmless: the matcher drops versions it has seen). A backfill stores its
position after each page, so a crash resumes where it stopped, and its
counts, which the console shows. The last verified webhook naming each
entity is noted too (``note_webhook``), for the console's overview.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import structlog

from common.store import Store
from common.store.client import IndexSpec
from common.store.times import from_stored, stored_now, to_stored

CURSORS = "cursors"
CURSOR_INDEXES = [IndexSpec(CURSORS, (("tenant", 1), ("kind", 1)))]
# A burst of webhooks costs one store write per tenant, system and entity in
# this interval; the time shown is at most that stale.
WEBHOOK_NOTE_SECONDS = 5.0
WEBHOOK_NOTE_TIMEOUT = 1.0  # the webhook's answer never waits longer for it

log = structlog.get_logger(__name__)


def cursor_id(kind: str, tenant: str, system: str, entity: str) -> str:
    return f"{kind}:{tenant}:{system}:{entity}"


class Cursors:
    def __init__(self, store: Store) -> None:
        self._collection = store.db[CURSORS]
        self._webhooks_noted: dict[tuple[str, str, str], float] = {}

    async def watermark(self, tenant: str, system: str, entity: str) -> datetime | None:
        document = await self._collection.find_one(
            {"_id": cursor_id("poll", tenant, system, entity)}
        )
        if document is None or document.get("watermark") is None:
            return None
        return from_stored(document["watermark"])

    async def advance_watermark(
        self, tenant: str, system: str, entity: str, watermark: datetime, read: int
    ) -> None:
        """Move forward only: a slow poll finishing late never moves it back."""
        key = cursor_id("poll", tenant, system, entity)
        stored = to_stored(watermark.astimezone(UTC))
        await self._collection.update_one(
            {"_id": key},
            {
                "$setOnInsert": {
                    "tenant": tenant,
                    "kind": "poll",
                    "system": system,
                    "entity": entity,
                },
            },
            upsert=True,
        )
        await self._collection.update_one(
            {"_id": key, "$or": [{"watermark": {"$lt": stored}}, {"watermark": None}]},
            {"$set": {"watermark": stored, "updated_at": stored_now()}},
        )
        # Every poll, moved or not: the console's "last poll".
        await self._collection.update_one(
            {"_id": key}, {"$inc": {"read": read}, "$set": {"polled_at": stored_now()}}
        )

    async def note_webhook(self, tenant: str, system: str, entity: str) -> None:
        """Remember when a verified webhook last named this entity (document
        ``webhook:{tenant}:{system}:{entity}``, field ``at``). At most one
        write per WEBHOOK_NOTE_SECONDS each; never raises: a failure to note
        it must not fail the webhook."""
        key = (tenant, system, entity)
        now = time.monotonic()
        last = self._webhooks_noted.get(key)
        if last is not None and now - last < WEBHOOK_NOTE_SECONDS:
            return
        self._webhooks_noted[key] = now
        document = {
            "_id": cursor_id("webhook", tenant, system, entity),
            "tenant": tenant,
            "kind": "webhook",
            "system": system,
            "entity": entity,
            "at": stored_now(),
        }
        try:
            # Replaced whole, _id included: the embedded server's upsert
            # ignores the filter's _id.
            await asyncio.wait_for(
                self._collection.replace_one(
                    {"_id": document["_id"]}, document, upsert=True
                ),
                WEBHOOK_NOTE_TIMEOUT,
            )
        except Exception as exc:
            log.warning(
                "webhook_note_failed",
                tenant=tenant,
                system=system,
                entity=entity,
                error=repr(exc),
            )

    async def backfill(self, tenant: str, system: str, entity: str) -> dict[str, Any]:
        document = await self._collection.find_one(
            {"_id": cursor_id("backfill", tenant, system, entity)}
        )
        return document or {}

    async def start_backfill(
        self, tenant: str, system: str, entity: str, since: datetime, run_id: str
    ) -> dict[str, Any]:
        """Create the cursor of a new run, or return the one already running."""
        key = cursor_id("backfill", tenant, system, entity)
        existing = await self._collection.find_one({"_id": key})
        if existing and existing.get("run_id") == run_id:
            return existing
        document = {
            "_id": key,
            "tenant": tenant,
            "kind": "backfill",
            "system": system,
            "entity": entity,
            "run_id": run_id,
            "since": to_stored(since),
            "position": None,
            "page": 0,
            "seen": 0,
            "published": 0,
            "total": None,
            "status": "running",
            "started_at": stored_now(),
            "updated_at": stored_now(),
            "finished_at": None,
        }
        await self._collection.replace_one({"_id": key}, document, upsert=True)
        return document

    async def record_page(
        self,
        tenant: str,
        system: str,
        entity: str,
        *,
        run_id: str,
        page: int,
        position: Any,
        published: int,
        total: int | None,
        done: bool,
    ) -> bool:
        """Store progress after page ``page`` was published; compare-and-set on
        the page number so a redelivered page cannot move the cursor twice."""
        result = await self._collection.update_one(
            {
                "_id": cursor_id("backfill", tenant, system, entity),
                "run_id": run_id,
                "page": page - 1,
            },
            {
                "$set": {
                    "page": page,
                    "position": position,
                    "total": total,
                    "status": "done" if done else "running",
                    "updated_at": stored_now(),
                    "finished_at": stored_now() if done else None,
                },
                "$inc": {"seen": published, "published": published},
            },
        )
        return result.modified_count == 1

    async def list(self, tenant: str | None = None) -> list[dict[str, Any]]:
        query = {"tenant": tenant} if tenant else {}
        return [document async for document in self._collection.find(query)]
