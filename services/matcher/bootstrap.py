"""The matcher's composition root: no I/O at import time."""

from __future__ import annotations

from common.store import Store
from services.matcher.handlers import Matcher
from services.matcher.letters import MemoryLetters, StoreLetters
from services.matcher.memory import InMemoryRepository
from services.matcher.mongo import MongoRepository
from services.matcher.ports import Backlogs, Letters, Repository


async def bootstrap(
    store: Store | None = None,
    *,
    repository: Repository | None = None,
    backlogs: Backlogs | None = None,
) -> Matcher:
    """A Matcher on ``store`` (indexes ensured), on ``repository``, or in memory.
    Dead letters close on ``store`` when there is one; ``backlogs`` (the
    broker's queues) hold the sweep's re-sends back while writes are queued."""
    letters: Letters = StoreLetters(store) if store is not None else MemoryLetters()
    if repository is None:
        if store is None:
            repository = InMemoryRepository()
        else:
            mongo = MongoRepository(store)
            await mongo.ensure_indexes()
            repository = mongo
    return Matcher(repository, letters, backlogs)
