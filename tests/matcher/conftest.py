"""Fixtures: the matcher on the in-memory repository, on the embedded
MongoDB store, or on both (``any_harness``)."""

from __future__ import annotations

import pytest

from common.store import Store
from services.matcher.bootstrap import bootstrap
from services.matcher.memory import InMemoryRepository
from services.matcher.mongo import MongoRepository
from tests.matcher.harness import Harness


@pytest.fixture
async def harness() -> Harness:
    repo = InMemoryRepository()
    return Harness(await bootstrap(repository=repo), repo)


@pytest.fixture
async def mongo_harness(store: Store) -> Harness:
    matcher = await bootstrap(store)
    assert isinstance(matcher.repository, MongoRepository)
    return Harness(matcher, matcher.repository)


@pytest.fixture(
    params=[
        pytest.param("memory", marks=pytest.mark.unit),
        pytest.param("mongo", marks=pytest.mark.integration),
    ]
)
def backend(request: pytest.FixtureRequest) -> Store | None:
    """None for the in-memory repository, else the embedded MongoDB store."""
    if request.param == "memory":
        return None
    store: Store = request.getfixturevalue("store")
    return store


@pytest.fixture
async def any_harness(backend: Store | None) -> Harness:
    if backend is None:
        repo = InMemoryRepository()
        return Harness(await bootstrap(repository=repo), repo)
    matcher = await bootstrap(backend)
    return Harness(matcher, matcher.repository)
