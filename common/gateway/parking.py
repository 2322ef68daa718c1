"""Work that waits for a person: parked, never dropped.

When a connection needs re-authorisation the gateway cannot do its work;
the message is parked here with the reason and published again, in order,
once the connection is authorised again.
"""

from __future__ import annotations

import uuid
from typing import Any

from common.bus import Bus
from common.messages import Envelope
from common.store import Store
from common.store.client import IndexSpec
from common.store.times import stored_now

PARKED_WORK = "parked_work"
PARKED_WORK_INDEXES = [
    IndexSpec(PARKED_WORK, (("tenant", 1), ("system", 1), ("parked_at", 1))),
]


class ParkedWork:
    def __init__(self, store: Store) -> None:
        self._collection = store.db[PARKED_WORK]

    async def park(self, envelope: Envelope, reason: str) -> None:
        await self._collection.replace_one(
            {"_id": str(envelope.event_id)},
            {
                "_id": str(envelope.event_id),
                "tenant": envelope.tenant,
                "system": envelope.system,
                "routing_key": envelope.routing_key,
                "reason": reason,
                "body": envelope.model_dump_json(),
                "parked_at": stored_now(),
            },
            upsert=True,
        )

    async def count(self, tenant: str, system: str) -> int:
        return await self._collection.count_documents(
            {"tenant": tenant, "system": system}
        )

    async def list(self, tenant: str) -> list[dict[str, Any]]:
        cursor = self._collection.find({"tenant": tenant}).sort("parked_at", 1)
        return [document async for document in cursor]

    async def resume(self, tenant: str, system: str, bus: Bus) -> int:
        """Publish every parked message again; each is removed once confirmed."""
        resumed = 0
        cursor = self._collection.find({"tenant": tenant, "system": system}).sort(
            "parked_at", 1
        )
        async for document in cursor:
            envelope = Envelope.model_validate_json(document["body"])
            # A new id: the consumer's inbox already holds the parked one.
            # Derived from the parking time, so a crash between this publish
            # and the delete below re-sends the same id, which inboxes drop.
            resumed_id = uuid.uuid5(
                envelope.event_id, f"resumed:{document['parked_at']}"
            )
            await bus.publish(
                envelope.model_copy(update={"event_id": resumed_id, "attempt": 1})
            )
            await self._collection.delete_one({"_id": document["_id"]})
            resumed += 1
        return resumed
