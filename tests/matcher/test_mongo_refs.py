"""The MongoDB repository's single-field look-up keys (``*_ref``): derived
on every save, and filled in on documents stored before them (a demo's data
kept in var/mongo) when the matcher starts; the old compound indexes go."""

from __future__ import annotations

import pytest

from common.store import Store
from services.matcher.bootstrap import bootstrap
from services.matcher.mongo import MongoRepository

pytestmark = pytest.mark.integration


async def test_documents_stored_before_the_refs_are_found_after_a_restart(
    store: Store,
) -> None:
    # As an earlier version stored them: no *_ref fields, compound indexes.
    await store.db["matcher_links"].insert_one(
        {
            "_id": "t|contact|crm|c1",
            "tenant": "t",
            "kind": "contact",
            "crm_id": "c1",
            "qbo_id": "q1",
            "state": "linked",
            "rev": 1,
        }
    )
    await store.db["matcher_mirror"].insert_one(
        {
            "_id": "t|qbo|customer|q1",
            "tenant": "t",
            "system": "qbo",
            "entity": "customer",
            "external_id": "q1",
            "record": {"email": "a@x.io"},
            "match_key": "a@x.io",
            "account_id": None,
            "rev": 1,
        }
    )
    await store.db["matcher_links"].create_index(
        [("tenant", 1), ("kind", 1), ("crm_id", 1)], name="link_crm_id"
    )

    matcher = await bootstrap(store)  # ensures the indexes: fills the refs in
    repo = matcher.repository
    assert isinstance(repo, MongoRepository)
    link = await repo.link_of("t", "contact", "qbo", "q1")
    assert link is not None
    assert link.crm_id == "c1"
    assert set(await repo.links_of("t", "contact", "crm", ["c1", "c9"])) == {"c1"}
    [found] = await repo.mirrors_by_key("t", "qbo", "customer", "a@x.io")
    assert found.external_id == "q1"
    keys = [
        info["key"]
        for info in (await store.db["matcher_links"].index_information()).values()
    ]
    assert [("tenant", 1), ("kind", 1), ("crm_id", 1)] not in keys
    assert [("crm_ref", 1)] in keys

    # Saved again, the refs follow the ids: the old key finds nothing.
    moved = await repo.save_link(link.model_copy(update={"qbo_id": "q2"}))
    assert await repo.link_of("t", "contact", "qbo", "q1") is None
    again = await repo.link_of("t", "contact", "qbo", "q2")
    assert again is not None
    assert again.rev == moved.rev
