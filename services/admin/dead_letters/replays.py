"""Replays remembered, and what became of each.

A replay sends a message back to the queue that failed and removes its dead
letter; whether it then worked is known only later. So each replay is kept
(``dead_letter_replays``: the letter's id, the record it named, when, by
whom) and its outcome read from what the consumer leaves behind:

- *failed again*: the letter is back (same id: same record, same stage) and
  failed after the replay; its new reason is shown;
- *done*: the consumer marked the message handled in its inbox
  (``{queue}:{event_id}``, common/inbox.py); the record's state then says
  where it stands now (synced, waiting, refused: common/record_states.py);
- *in progress*: neither yet.

Kept for a week, like the inbox the outcome is read from.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from common.entities import ENTITIES
from common.inbox import INBOX, INBOX_TTL_SECONDS
from common.record_states import RecordState, read_state
from common.store.times import to_stored

REPLAYS = "dead_letter_replays"
SUBJECT_FIELDS = ("tenant", "system", "entity", "external_id", "label")

FAILED_AGAIN = "failed again"
DONE = "done"
IN_PROGRESS = "in progress"
SETTLED_STATES = ("synced", "deleted")


@dataclass(frozen=True)
class Outcome:
    outcome: str  # failed again | done | in progress
    reason: str | None = None  # failed again: the new reason
    record: RecordState | None = None  # done: the record's state now

    @property
    def settled(self) -> bool:
        """Nothing more will happen by itself: failed again, or done with the
        record synced or deleted (or naming none). Done with the record
        waiting, not seen yet or still failed is on its way: the replayed
        message was handled, what it caused (a read, a write and its
        outcome) may still be running, and a refusal brings the letter back."""
        if self.outcome == FAILED_AGAIN:
            return True
        if self.outcome == DONE:
            return self.record is None or self.record.state in SETTLED_STATES
        return False


def new_replay(letter: Mapping[str, Any], by: str, at: datetime) -> dict[str, Any]:
    """The document remembering a replay of ``letter`` about to be sent."""
    return {
        "_id": uuid.uuid4().hex,
        "dead_letter_id": letter["_id"],
        "queue": letter.get("queue"),
        "event_id": letter.get("event_id"),
        "routing_key": letter.get("routing_key"),
        "error_class": letter.get("error_class"),
        "reason": letter.get("reason"),
        **{field: letter.get(field) for field in SUBJECT_FIELDS},
        "replayed_at": to_stored(at),
        "by": by,
    }


class Replays:
    def __init__(self, db: Any) -> None:
        self._db = db
        self._collection = db[REPLAYS]

    async def remember(self, replays: Sequence[dict[str, Any]]) -> None:
        if replays:
            await self._collection.insert_many(list(replays))
        cutoff = datetime.now(UTC) - timedelta(seconds=INBOX_TTL_SECONDS)
        await self._collection.delete_many({"replayed_at": {"$lt": to_stored(cutoff)}})

    async def find(
        self, ids: Sequence[str] = (), *, tenant: str = "", limit: int = 20
    ) -> list[dict[str, Any]]:
        """These replays (by id), else the newest ``limit`` ones."""
        query: dict[str, Any] = {"_id": {"$in": list(ids)}} if ids else {}
        if tenant:
            query["tenant"] = tenant
        cursor = self._collection.find(query).sort("replayed_at", -1)
        if not ids:
            cursor = cursor.limit(limit)
        return [document async for document in cursor]

    async def outcome(self, replay: Mapping[str, Any]) -> Outcome:
        letter = await self._db["dead_letters"].find_one(
            {"_id": replay["dead_letter_id"]}
        )
        if letter is not None and str(letter.get("last_failed_at") or "") > str(
            replay["replayed_at"]
        ):
            return Outcome(FAILED_AGAIN, reason=str(letter.get("reason") or ""))
        if replay.get("event_id") and await self._handled(replay):
            return Outcome(DONE, record=await self._record_state(replay))
        return Outcome(IN_PROGRESS)

    async def _handled(self, replay: Mapping[str, Any]) -> bool:
        entry = await self._db[INBOX].find_one(
            {"_id": f"{replay['queue']}:{replay['event_id']}"}
        )
        # Entries from before claims existed have no state: they are done.
        return entry is not None and entry.get("state", "done") == "done"

    async def _record_state(self, replay: Mapping[str, Any]) -> RecordState | None:
        tenant, system = replay.get("tenant"), replay.get("system")
        entity, external_id = replay.get("entity"), replay.get("external_id")
        if not (tenant and external_id and entity in ENTITIES.get(str(system), ())):
            return None  # a letter naming no record (a poll, a malformed message)
        return await read_state(
            self._db, str(tenant), str(system), str(entity), str(external_id)
        )
