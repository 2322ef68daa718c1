"""The tenant's settings read once for a burst (services/matcher/settings_cache.py),
on the in-memory repository and on the embedded MongoDB one: settings stored
where the console stores them, read by the repository as in production."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common.connection_settings import ConnectionSettings
from common.messages import Envelope
from common.store import Store
from services.matcher.bootstrap import bootstrap
from services.matcher.memory import InMemoryRepository
from services.matcher.settings_cache import SETTINGS_TTL, SettingsCache
from tests.matcher.harness import TENANT, Harness, command_of, contact, data_writes

EXTRA_FIELD = {
    "field_mapping": {
        "contact": {"extra": [{"crm": "custom.Industry", "qbo": "custom.Sector"}]}
    }
}


class Clock:
    """A monotonic clock the test moves on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def harness_on(
    backend: Store | None, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> tuple[Harness, list[str]]:
    """A matcher whose settings reads are counted (the tenants read)."""
    if backend is None:
        matcher = await bootstrap(repository=InMemoryRepository())
    else:
        matcher = await bootstrap(backend)
    repo = matcher.repository
    matcher.settings = SettingsCache(repo, monotonic=clock)
    reads: list[str] = []
    read = repo.settings

    async def counted(tenant: str) -> ConnectionSettings:
        reads.append(tenant)
        return await read(tenant)

    monkeypatch.setattr(repo, "settings", counted)
    return Harness(matcher, repo), reads


async def store_settings(
    backend: Store | None, h: Harness, settings: dict[str, Any]
) -> None:
    """As an operator's change stores them (the connection's document)."""
    if backend is None:
        h.repo.connections[TENANT] = settings  # type: ignore[attr-defined]
    else:
        await backend.db["connections"].update_one(
            {"_id": TENANT}, {"$set": {"settings": settings}}, upsert=True
        )


def queued(message: Envelope, created: datetime) -> Envelope:
    """``message`` as it comes out of a backlog: created at ``created``."""
    return message.model_copy(update={"occurred_at": created})


async def synced_pair(h: Harness) -> None:
    [create] = data_writes(await h.send(h.change("crm", "contact", "c1", contact())))
    await h.send(h.written(create, "q1", seq=0))


async def test_a_burst_reads_the_settings_once(
    backend: Store | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, reads = await harness_on(backend, Clock(), monkeypatch)
    created = datetime.now(UTC) - timedelta(seconds=1)
    for n in range(5):
        change = h.change("crm", "contact", f"c{n}", contact(f"p{n}@example.com"))
        [create] = data_writes(await h.send(queued(change, created)))
        assert create.routing_key == "write.qbo.customer"
    assert reads == [TENANT]


async def test_a_change_made_after_a_settings_change_sees_it_at_once(
    backend: Store | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The operator adds a field, then edits a record: the edit's message was
    # created after the settings were saved, so no earlier read serves it
    # (what tests/e2e's field-mapping test caught a plain TTL cache doing).
    h, reads = await harness_on(backend, Clock(), monkeypatch)
    await synced_pair(h)  # read the settings moments ago
    await store_settings(backend, h, EXTRA_FIELD)
    before = len(reads)
    edited = contact(custom={"Industry": "Retail"})
    [update] = data_writes(await h.send(h.change("crm", "contact", "c1", edited)))
    assert command_of(update).fields == ("custom.Sector",)
    assert command_of(update).record["custom"] == {"Sector": "Retail"}
    assert len(reads) == before + 1


async def test_a_settings_change_reaches_a_backlog_after_the_ttl(
    backend: Store | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    h, reads = await harness_on(backend, clock, monkeypatch)
    await synced_pair(h)
    created = datetime.now(UTC) - timedelta(seconds=1)
    await store_settings(backend, h, EXTRA_FIELD)
    before = len(reads)

    # Created before the change: the read that served its burst still does.
    retail = contact(custom={"Industry": "Retail"})
    first = h.change("crm", "contact", "c1", retail)
    assert data_writes(await h.send(queued(first, created))) == []
    assert len(reads) == before

    clock.now += SETTINGS_TTL
    wholesale = contact(custom={"Industry": "Wholesale"})
    second = h.change("crm", "contact", "c1", wholesale)
    [update] = data_writes(await h.send(queued(second, created)))
    assert command_of(update).record["custom"] == {"Sector": "Wholesale"}
    assert len(reads) == before + 1


async def test_a_change_dropped_as_stale_reads_no_settings(
    backend: Store | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, reads = await harness_on(backend, Clock(), monkeypatch)
    change = h.change("crm", "contact", "c1", contact())
    await h.send(change)
    before = len(reads)
    # The same version again (a webhook and a poll both saw it).
    again = change.model_copy(update={"event_id": uuid.uuid4()})
    assert await h.send(again) == []
    assert len(reads) == before
