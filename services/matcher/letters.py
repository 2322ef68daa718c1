"""Closing a record's dead letters once the matcher decides it: on the
store (the shared ``dead_letters`` collection) or in memory for tests."""

from __future__ import annotations

from common.bus.dead_letters import close_open
from common.store import Store


class StoreLetters:
    def __init__(self, store: Store) -> None:
        self.db = store.db

    async def close(
        self, tenant: str, system: str, entity: str, external_id: str
    ) -> None:
        await close_open(self.db, tenant, system, entity, external_id)


class MemoryLetters:
    """Remembers what it was asked to close (tests look)."""

    def __init__(self) -> None:
        self.closed: list[tuple[str, str, str, str]] = []

    async def close(
        self, tenant: str, system: str, entity: str, external_id: str
    ) -> None:
        self.closed.append((tenant, system, entity, external_id))
