"""Per consumer queue: which events are done, and who is handling which now.

One document per (queue, event id), ``_id = "{queue}:{event_id}"``. A
consumer *claims* an event by inserting it (``state: "running"``, an owner
and a lease); the insert is atomic in every store, so of two processes
handling copies of one event at once exactly one runs it. Finishing sets
``state: "done"`` (a later copy is acked as a duplicate); failing deletes the
claim (the retry or replay may run). A holder that crashed stops renewing
its lease: once the lease has run out (or at once, when the holder was a
process on this host that no longer exists) the next copy takes the claim
over with a compare-and-set.

Claims and marks are committed in groups (``common/store/group_commit.py``),
per queue: one asked for while another of its queue is on its way to the
store waits for it, then goes with every other that waited (one
``insert_many``, one ``update_many``, of at most 100). Alone, one goes at
once; under load (a gateway taking or finishing a batch of 90 writes, the
matcher's bulk handlers together) many cost one round trip. Each still
returns only once it is stored, so a message is run only once claimed and
acked only once marked, as before. A live queue's claims never wait behind
a bulk queue's batch.

Entries expire after a week (TTL index, or ``expire_inbox``): far longer
than any redelivery or retry schedule, short enough to keep the collection
small. Lease times are stored as fixed-width strings because the embedded
server turns a ``$set`` datetime into a string (common/store/times.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from common.store import Store
from common.store.client import IndexSpec
from common.store.group_commit import GroupCommit
from common.store.times import to_stored

INBOX = "inbox"
INBOX_TTL_SECONDS = 7 * 24 * 3600
INBOX_INDEXES = [
    IndexSpec(INBOX, (("at", 1),), expire_after_seconds=INBOX_TTL_SECONDS),
]
# Where TTL indexes are costly (the embedded server), a plain index and
# `expire_inbox` run periodically by the runtime.
INBOX_SWEPT_INDEXES = [IndexSpec(INBOX, (("at", 1),), name="inbox_at_swept")]
CLAIM_LEASE_SECONDS = 10.0  # a crashed holder's claim is void after this
DUPLICATE_KEY = 11000
RUNNING = "running"
DONE = "done"


class Claim(Enum):
    TAKEN = "taken"  # ours: run it
    DONE = "done"  # handled already: ack the copy
    BUSY = "busy"  # another live holder is running it: come back later


def inbox_indexes(store: Store) -> list[IndexSpec]:
    return INBOX_INDEXES if store.ttl_indexes_are_cheap else INBOX_SWEPT_INDEXES


async def expire_inbox(store: Store, older_than: float = INBOX_TTL_SECONDS) -> int:
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
    result = await store.db[INBOX].delete_many({"at": {"$lt": cutoff}})
    return int(result.deleted_count)


def new_owner() -> str:
    """host:pid:random — the pid lets a process on the same host see that a
    holder has died without waiting for its lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_is_gone(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, someone else's
        return False
    return False


class Inbox:
    def __init__(self, store: Store, lease: float = CLAIM_LEASE_SECONDS) -> None:
        self._collection = store.db[INBOX]
        self.lease = lease
        # Grouped per queue: a live message's claim never waits behind a
        # backfill's batch of them (each tenant's bulk writes, the matcher's
        # bulk lane: queues of their own).
        self._claims: dict[str, GroupCommit[dict[str, Any], bool]] = {}
        self._marks: dict[str, GroupCommit[str, None]] = {}

    @staticmethod
    def _key(queue: str, event_id: str) -> str:
        return f"{queue}:{event_id}"

    def _expiry(self) -> str:
        return to_stored(datetime.now(UTC) + timedelta(seconds=self.lease))

    async def seen(self, queue: str, event_id: str) -> bool:
        found = await self._collection.find_one({"_id": self._key(queue, event_id)})
        return found is not None and _is_done(found)

    async def claim(self, queue: str, event_id: str, owner: str) -> Claim:
        key = self._key(queue, event_id)
        for _ in range(3):  # a claim released in between: look again
            claim = {
                "_id": key,
                "at": datetime.now(UTC),
                "state": RUNNING,
                "owner": owner,
                "expires": self._expiry(),
            }
            if await self._claims_of(queue).submit(claim):
                return Claim.TAKEN
            found = await self._collection.find_one({"_id": key})
            if found is not None:
                return await self._claim_held(found, owner)
        return Claim.BUSY

    def _claims_of(self, queue: str) -> GroupCommit[dict[str, Any], bool]:
        if queue not in self._claims:
            self._claims[queue] = GroupCommit("inbox claim", self._insert_claims)
        return self._claims[queue]

    def _marks_of(self, queue: str) -> GroupCommit[str, None]:
        if queue not in self._marks:
            self._marks[queue] = GroupCommit("inbox mark", self._mark_all)
        return self._marks[queue]

    async def _insert_claims(self, claims: list[dict[str, Any]]) -> list[bool]:
        """Insert each claim; False for one whose event is claimed already."""
        try:
            await self._collection.insert_many(claims, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            held = {int(error["index"]) for error in errors}
            return [n not in held for n in range(len(claims))]
        return [True] * len(claims)

    async def _claim_held(self, found: dict[str, Any], owner: str) -> Claim:
        if _is_done(found):
            return Claim.DONE
        holder = str(found.get("owner", ""))
        live = str(found.get("expires", "")) > to_stored(datetime.now(UTC))
        # Our own claim (a release that failed) is stale: this process runs
        # one copy at a time already.
        if live and holder != owner and not _holder_is_gone(holder):
            return Claim.BUSY
        # The holder is gone: take over, unless another copy just did.
        result = await self._collection.update_one(
            {
                "_id": found["_id"],
                "state": RUNNING,
                "owner": found.get("owner"),
                "expires": found.get("expires"),
            },
            {"$set": {"owner": owner, "expires": self._expiry()}},
        )
        return Claim.TAKEN if result.modified_count == 1 else Claim.BUSY

    async def renew(self, queue: str, event_ids: list[str], owner: str) -> None:
        """Extend the leases of the claims ``owner`` still holds."""
        if not event_ids:
            return
        keys = [self._key(queue, event_id) for event_id in event_ids]
        await self._collection.update_many(
            {"_id": {"$in": keys}, "owner": owner, "state": RUNNING},
            {"$set": {"expires": self._expiry()}},
        )

    async def release(self, queue: str, event_id: str, owner: str) -> None:
        """Give up a claim without finishing: the next copy may run."""
        await self._collection.delete_one(
            {"_id": self._key(queue, event_id), "owner": owner, "state": RUNNING}
        )

    async def mark(self, queue: str, event_id: str) -> None:
        """Done, whoever held the claim (or with none at all); returns once
        stored (with the marks asked for meanwhile: see the module's doc)."""
        await self._marks_of(queue).submit(self._key(queue, event_id))

    async def _mark_all(self, keys: list[str]) -> list[None]:
        distinct = list(dict.fromkeys(keys))
        result = await self._collection.update_many(
            {"_id": {"$in": distinct}},
            {"$set": {"state": DONE}, "$unset": {"expires": ""}},
        )
        if result.matched_count != len(distinct):
            # Some had no claim (marked without one): those are inserted done.
            found = self._collection.find({"_id": {"$in": distinct}}, {"_id": 1})
            present = {document["_id"] async for document in found}
            for key in distinct:
                if key in present:
                    continue
                # A concurrent mark may have got there first: same outcome.
                with contextlib.suppress(DuplicateKeyError):
                    await self._collection.insert_one(
                        {"_id": key, "at": datetime.now(UTC), "state": DONE}
                    )
        return [None] * len(keys)


def _is_done(document: dict[str, Any]) -> bool:
    # Entries written before claims existed have no state: they are done.
    return bool(document.get("state", DONE) == DONE)
