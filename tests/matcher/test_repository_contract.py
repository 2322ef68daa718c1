"""One contract for both repositories (in memory and MongoDB)."""

from __future__ import annotations

import pytest

from common.connection_settings import DEFAULT_SETTINGS
from common.store import Store
from services.matcher.memory import InMemoryRepository
from services.matcher.model import (
    AuditEntry,
    Link,
    MirrorEntry,
    Outbox,
    Parked,
    PendingWrite,
)
from services.matcher.mongo import MongoRepository
from services.matcher.ports import Repository, StaleWrite

pytestmark = pytest.mark.integration


@pytest.fixture
async def repo(backend: Store | None) -> Repository:
    if backend is None:
        return InMemoryRepository()
    mongo = MongoRepository(backend)
    await mongo.ensure_indexes()
    return mongo


def entry(external_id: str = "c1", **fields: object) -> MirrorEntry:
    return MirrorEntry(
        tenant="t", system="crm", entity="contact", external_id=external_id, **fields
    )


async def test_mirror_compare_and_set(repo: Repository) -> None:
    saved = await repo.save_mirror(entry(match_key="a@b.c", record={"x": 1}))
    assert saved.rev == 1
    assert await repo.mirror("t", "crm", "contact", "c1") == saved
    with pytest.raises(StaleWrite):
        await repo.save_mirror(entry())  # rev 0: must not exist yet
    again = await repo.save_mirror(saved.model_copy(update={"state": "refused"}))
    with pytest.raises(StaleWrite):
        await repo.save_mirror(saved)  # someone else moved it on
    assert (await repo.mirror("t", "crm", "contact", "c1")) == again


async def test_mirror_lookups_by_key_and_account(repo: Repository) -> None:
    await repo.save_mirror(entry("c1", match_key="k", account_id="a1"))
    await repo.save_mirror(entry("c2", match_key="k", alt_key="n"))
    await repo.save_mirror(entry("c3", match_key="other", account_id="a1"))
    by_key = await repo.mirrors_by_key("t", "crm", "contact", "k")
    assert sorted(m.external_id for m in by_key) == ["c1", "c2"]
    by_alt = await repo.mirrors_by_key("t", "crm", "contact", "n", alt=True)
    assert [m.external_id for m in by_alt] == ["c2"]
    of_account = await repo.contacts_of_account("t", "a1")
    assert sorted(m.external_id for m in of_account) == ["c1", "c3"]


async def test_links_unique_on_both_sides_and_compare_and_set(repo: Repository) -> None:
    pending = {"qbo": PendingWrite(key="k1", create=True)}
    half = await repo.save_link(
        Link(id="L1", tenant="t", kind="contact", crm_id="c1", pending=pending)
    )
    await repo.save_link(Link(id="L2", tenant="t", kind="contact", crm_id="c2"))
    assert await repo.link_by_pending_key("t", "qbo", "k1") == half
    with pytest.raises(StaleWrite):  # c1 is linked already
        await repo.save_link(Link(id="L3", tenant="t", kind="contact", crm_id="c1"))
    done = await repo.save_link(half.model_copy(update={"qbo_id": "q1"}))
    with pytest.raises(StaleWrite):  # q1 is linked already
        await repo.save_link(Link(id="L4", tenant="t", kind="contact", qbo_id="q1"))
    with pytest.raises(StaleWrite):
        await repo.save_link(half.model_copy(update={"qbo_id": "q9"}))
    assert await repo.link_of("t", "contact", "qbo", "q1") == done
    found = await repo.links_of("t", "contact", "crm", ["c1", "c2", "c9"])
    assert sorted(found) == ["c1", "c2"]
    await repo.delete_link(done)
    assert await repo.link_of("t", "contact", "crm", "c1") is None


async def test_parked_and_audit(repo: Repository) -> None:
    parked = Parked(
        tenant="t",
        system="crm",
        entity="invoice",
        external_id="i1",
        waiting=["crm:contact:c1", "crm:product:p1"],
        since="s",
    )
    await repo.park(parked)
    await repo.park(parked.model_copy(update={"waiting": ["crm:product:p1"]}))
    assert await repo.parked_waiting_on("t", ["crm:contact:c1"]) == []
    [waiting] = await repo.parked_waiting_on("t", ["x", "crm:product:p1"])
    assert waiting.waiting == ["crm:product:p1"]
    await repo.unpark(waiting)
    assert await repo.parked_waiting_on("t", ["crm:product:p1"]) == []

    audit = AuditEntry(
        id="a1",
        tenant="t",
        at="1",
        event_id="e",
        kind="contact",
        action="create",
        after={"email": "x"},
    )
    await repo.record_audit(audit)
    await repo.record_audit(audit)  # a redelivery records nothing twice
    assert await repo.audit_of("t") == [audit]


async def test_audit_entries_recorded_together_skip_only_duplicates(
    repo: Repository,
) -> None:
    def audit(entry_id: str, at: str) -> AuditEntry:
        return AuditEntry(
            id=entry_id, tenant="t", at=at, event_id="e", kind="contact", action="x"
        )

    await repo.record_audits([])
    await repo.record_audits([audit("a1", "1")])
    # a redelivery: a1 recorded already, a2 and a3 not yet
    await repo.record_audits([audit("a1", "1"), audit("a2", "2"), audit("a3", "3")])
    await repo.record_audits([audit("a2", "2"), audit("a3", "3")])
    assert [a.id for a in await repo.audit_of("t")] == ["a1", "a2", "a3"]


async def test_parked_listing_and_updates_that_never_resurrect(
    repo: Repository,
) -> None:
    def parked(system: str, external_id: str) -> Parked:
        return Parked(
            tenant="t",
            system=system,
            entity="invoice",
            external_id=external_id,
            waiting=[f"{system}:product:p1"],
            since="s",
        )

    await repo.park(parked("crm", "i1"))
    await repo.park(parked("qbo", "q1"))
    await repo.park(parked("crm", "i2").model_copy(update={"tenant": "other"}))
    [mine] = await repo.parked_of("t", "crm")
    assert mine.external_id == "i1"
    assert await repo.update_parked(mine.id, {"resumed_by": "e1", "refetches": 2})
    [updated] = await repo.parked_of("t", "crm")
    assert (updated.resumed_by, updated.refetches) == ("e1", 2)
    assert updated.waiting == mine.waiting
    await repo.unpark(updated)
    assert not await repo.update_parked(mine.id, {"resumed_by": "late"})
    assert await repo.parked_of("t", "crm") == []
    assert [p.external_id for p in await repo.parked_of("t", "qbo")] == ["q1"]


async def test_links_in_flight(repo: Repository) -> None:
    pending = {"qbo": PendingWrite(key="k1")}
    old = Outbox(event="e1", at="2025-01-01T00:00:00.000000Z")
    new = Outbox(event="e2", at="2025-01-01T00:10:00.000000Z")
    await repo.save_link(Link(id="A", tenant="t", kind="contact", crm_id="c1"))
    await repo.save_link(
        Link(
            id="B",
            tenant="t",
            kind="contact",
            crm_id="c2",
            state="creating",
            outbox=old,
        )
    )
    await repo.save_link(
        Link(
            id="C",
            tenant="t",
            kind="contact",
            crm_id="c3",
            qbo_id="q3",
            pending=pending,
            outbox=old,
        )
    )
    await repo.save_link(
        Link(
            id="E",
            tenant="t",
            kind="contact",
            crm_id="c5",
            state="creating",
            outbox=new,
        )
    )
    await repo.save_link(
        Link(
            id="D",
            tenant="u",
            kind="contact",
            crm_id="c4",
            state="creating",
            outbox=old,
        )
    )
    # Another tenant's create in flight, as a backfill leaves thousands (the
    # embedded server once answered this query shape with every tenant's).
    await repo.save_link(
        Link(
            id="F",
            tenant="u",
            kind="contact",
            crm_id="c6",
            state="creating",
            pending={"qbo": PendingWrite(key="k6")},
            outbox=old,
        )
    )
    before = "2025-01-01T00:05:00.000000Z"
    assert sorted(link.id for link in await repo.links_in_flight("t", before)) == [
        "B",
        "C",
    ]
    later = "2025-01-01T00:20:00.000000Z"
    in_flight = await repo.links_in_flight("t", later)
    assert sorted(link.id for link in in_flight) == ["B", "C", "E"]
    # Confirmed: no longer in flight (the flag follows every save).
    (confirmed,) = [link for link in in_flight if link.id == "C"]
    await repo.save_link(confirmed.model_copy(update={"pending": {}}))
    in_flight = await repo.links_in_flight("t", later)
    assert sorted(link.id for link in in_flight) == ["B", "E"]


async def test_settings_default_when_absent(repo: Repository) -> None:
    assert await repo.settings("nobody") == DEFAULT_SETTINGS


async def test_settings_read_from_connections(backend: Store | None) -> None:
    raw = {"subject_is_qbo_id": False, "conflict": {"default": "qbo_wins"}}
    if backend is None:
        repo: Repository = InMemoryRepository({"t": raw})
    else:
        await backend.db["connections"].insert_one({"_id": "t", "settings": raw})
        repo = MongoRepository(backend)
    settings = await repo.settings("t")
    assert settings.subject_is_qbo_id is False
    assert settings.conflict.winner_for("email") == "qbo_wins"
