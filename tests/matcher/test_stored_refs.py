"""Links stored before a single-field key existed get it when the matcher
starts (``backfill_refs``), once: the sweep finds them in flight, and the
next start has nothing left to fill."""

from __future__ import annotations

import pytest

from common.store import Store
from services.matcher.model import Link, Outbox
from services.matcher.mongo import MongoRepository, backfill_refs, stored

pytestmark = pytest.mark.integration

OLD = Outbox(event="e1", at="2025-01-01T00:00:00.000000Z")
LATER = "2025-01-01T00:20:00.000000Z"


async def test_links_stored_before_flight_ref_are_filled_in_once(store: Store) -> None:
    creating = Link(
        id="A", tenant="t", kind="contact", crm_id="c1", state="creating", outbox=OLD
    )
    # No CRM id: a null crm_ref, which the embedded server takes for missing.
    linked = Link(id="B", tenant="t", kind="contact", qbo_id="q1", outbox=OLD)
    for link in (creating, linked):
        document = stored(link)
        del document["flight_ref"]  # as an earlier version stored it
        await store.db["matcher_links"].insert_one(document)

    repo = MongoRepository(store)
    await repo.ensure_indexes()

    assert [link.id for link in await repo.links_in_flight("t", LATER)] == ["A"]
    assert await repo.link_of("t", "contact", "qbo", "q1") == linked
    assert await backfill_refs(store) == 0
