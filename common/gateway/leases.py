"""Short leases in MongoDB: one holder at a time across processes.

Used so that one gateway replica refreshes a connection's token while the
others wait for the result (a second refresh would spend the rotated refresh
token the first one just received).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError

from common.store import Store
from common.store.times import to_stored

LEASES = "leases"


class Leases:
    def __init__(self, store: Store, owner: str) -> None:
        self._collection = store.db[LEASES]
        self.owner = owner

    async def acquire(self, name: str, seconds: float) -> bool:
        now = datetime.now(UTC)
        until = to_stored(now + timedelta(seconds=seconds))
        try:
            await self._collection.insert_one(
                {"_id": name, "owner": self.owner, "until": until}
            )
            return True
        except DuplicateKeyError:
            pass
        # Taken: take it over only if its holder let it expire (crashed).
        taken = await self._collection.find_one_and_update(
            {"_id": name, "until": {"$lt": to_stored(now)}},
            {"$set": {"owner": self.owner, "until": until}},
        )
        return taken is not None

    async def release(self, name: str) -> None:
        await self._collection.delete_one({"_id": name, "owner": self.owner})
