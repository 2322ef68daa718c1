"""Which QBO batch request carries each create, by the create's idempotency key.

QBO answers a repeated ``requestid`` with its first answer and does not run
the request again — but a batch has one requestid for all its items, and the
copies of one create can land in different batches (a redelivery after a
crash, a replay racing the original). So before a batch goes out, each
create claims its key for this batch's requestid and ``bId`` (insert-only:
one request wins a key). A later create with the same key does not create
again: it replays the winning request (same requestid, same items), finds its
item's answer and resolves to the record that request made. Only when that
request did not apply the item (a retriable fault, an item it never carried)
does the new request take the key over, by compare-and-set.

A request of one live operation goes as a single call (``QboClient.send``),
which QBO also answers once per requestid; its claim says so, and a replay
is sent the same way.

Claims live as long as an inbox entry (a week): past that no copy of the
command is delivered any more.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from common.inbox import INBOX_TTL_SECONDS

CREATE_CLAIMS = "qbo_create_claims"
DUPLICATE_KEY = 11000
EXPIRY_EVERY_SECONDS = 3600


@dataclass(frozen=True)
class Sent:
    """Where a create went: the batch request and the item in it."""

    request_id: str
    bid: str


class CreateClaims:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._collection = db[CREATE_CLAIMS]
        self._indexed = False
        self._next_expiry = 0.0

    @staticmethod
    def _key(tenant: str, idempotency_key: str) -> str:
        return f"{tenant}:{idempotency_key}"

    async def _ensure_indexes(self) -> None:
        if not self._indexed:
            await self._collection.create_index(
                [("tenant", 1), ("request_id", 1)], name="qbo_create_claims_request"
            )
            self._indexed = True

    async def claim(
        self,
        tenant: str,
        request_id: str,
        creates: dict[str, tuple[str, dict[str, Any]]],
        *,
        single: bool = False,
    ) -> dict[str, Sent]:
        """Claim each idempotency key (→ bId, batch item) for ``request_id``;
        returns the keys another request holds already, and where they went."""
        await self._ensure_indexes()
        documents = [
            {
                "_id": self._key(tenant, key),
                "tenant": tenant,
                "request_id": request_id,
                "bid": bid,
                "item": item,
                "single": single,
                "at": datetime.now(UTC),
            }
            for key, (bid, item) in creates.items()
        ]
        if not documents:
            return {}
        taken: list[str] = []
        try:
            await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            taken = [str(documents[error["index"]]["_id"]) for error in errors]
        held: dict[str, Sent] = {}
        prefix = len(tenant) + 1
        async for document in self._collection.find({"_id": {"$in": taken}}):
            sent = Sent(str(document["request_id"]), str(document["bid"]))
            if sent.request_id != request_id:  # our own request, sent again
                held[str(document["_id"])[prefix:]] = sent
        return held

    async def request_of(
        self, tenant: str, request_id: str
    ) -> tuple[list[dict[str, Any]], bool]:
        """The creates of a request, as its items, and whether it went as a
        single call (to replay it the same way)."""
        cursor = self._collection.find({"tenant": tenant, "request_id": request_id})
        documents = [document async for document in cursor]
        items = [{"bId": document["bid"], **document["item"]} for document in documents]
        return items, any(document.get("single") for document in documents)

    async def take_over(
        self,
        tenant: str,
        idempotency_key: str,
        was: Sent,
        request_id: str,
        bid: str,
        item: dict[str, Any],
        *,
        single: bool = False,
    ) -> bool:
        """Move the key to ``request_id`` if it is still where ``was`` says."""
        result = await self._collection.update_one(
            {
                "_id": self._key(tenant, idempotency_key),
                "request_id": was.request_id,
                "bid": was.bid,
            },
            {
                "$set": {
                    "request_id": request_id,
                    "bid": bid,
                    "item": item,
                    "single": single,
                }
            },
        )
        return result.modified_count == 1

    async def expire_now_and_then(self) -> None:
        """Delete week-old claims, at most hourly (a delete, not a TTL index:
        TTL collections are slow on the embedded server)."""
        if time.monotonic() < self._next_expiry:
            return
        self._next_expiry = time.monotonic() + EXPIRY_EVERY_SECONDS
        cutoff = datetime.now(UTC) - timedelta(seconds=INBOX_TTL_SECONDS)
        await self._collection.delete_many({"at": {"$lt": cutoff}})
