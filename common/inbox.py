"""Processed event ids per consumer queue, so a redelivery is handled once.

Entries expire (TTL index) after a week: far longer than any redelivery or
retry schedule, short enough to keep the collection small.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError

from common.store import Store
from common.store.client import IndexSpec

INBOX = "inbox"
INBOX_TTL_SECONDS = 7 * 24 * 3600
INBOX_INDEXES = [
    IndexSpec(INBOX, (("at", 1),), expire_after_seconds=INBOX_TTL_SECONDS),
]
# Where TTL indexes are costly (the embedded server), a plain index and
# `expire_inbox` run periodically by the runtime.
INBOX_SWEPT_INDEXES = [IndexSpec(INBOX, (("at", 1),), name="inbox_at_swept")]


def inbox_indexes(store: Store) -> list[IndexSpec]:
    return INBOX_INDEXES if store.ttl_indexes_are_cheap else INBOX_SWEPT_INDEXES


async def expire_inbox(store: Store, older_than: float = INBOX_TTL_SECONDS) -> int:
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
    result = await store.db[INBOX].delete_many({"at": {"$lt": cutoff}})
    return int(result.deleted_count)


class Inbox:
    def __init__(self, store: Store) -> None:
        self._collection = store.db[INBOX]

    @staticmethod
    def _key(queue: str, event_id: str) -> str:
        return f"{queue}:{event_id}"

    async def seen(self, queue: str, event_id: str) -> bool:
        found = await self._collection.find_one({"_id": self._key(queue, event_id)})
        return found is not None

    async def mark(self, queue: str, event_id: str) -> None:
        # A concurrent redelivery may have got there first: same outcome.
        with contextlib.suppress(DuplicateKeyError):
            await self._collection.insert_one(
                {"_id": self._key(queue, event_id), "at": datetime.now(UTC)}
            )
