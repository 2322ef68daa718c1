"""The matcher's composition root: no I/O at import time."""

from __future__ import annotations

from common.store import Store
from services.matcher.handlers import Matcher
from services.matcher.memory import InMemoryRepository
from services.matcher.mongo import MongoRepository
from services.matcher.ports import Repository


async def bootstrap(
    store: Store | None = None, *, repository: Repository | None = None
) -> Matcher:
    """A Matcher on ``store`` (indexes ensured), on ``repository``, or in memory."""
    if repository is None:
        if store is None:
            repository = InMemoryRepository()
        else:
            mongo = MongoRepository(store)
            await mongo.ensure_indexes()
            repository = mongo
    return Matcher(repository)
