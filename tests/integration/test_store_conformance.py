"""Store conformance: the MongoDB operations the project relies on.

Runs against whatever the `store` fixture opens: the embedded nx-27017
server by default, real MongoDB when MONGODB_URL is set
(`MONGODB_URL=mongodb://localhost:27017 make test`). Code outside this suite
may use only what it proves.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from common.inbox import INBOX, Claim, Inbox, expire_inbox, inbox_indexes
from common.store import Store
from common.store.client import (
    CLIENT_OPTIONS,
    EMBEDDED_OPTIONS,
    EMBEDDED_SERVER,
    IndexSpec,
)
from common.store.times import from_stored, stored_now, to_stored
from tests.support import wait_for

pytestmark = pytest.mark.integration

LINK_INDEXES = [
    IndexSpec("links", (("tenant", 1), ("kind", 1), ("crm_id", 1)), unique=True),
    IndexSpec("links", (("tenant", 1), ("kind", 1), ("qbo_id", 1)), unique=True),
]


async def test_unique_indexes_refuse_duplicates_on_either_side(store: Store) -> None:
    await store.ensure_indexes(LINK_INDEXES)
    links = store.db["links"]
    await links.insert_one(
        {"tenant": "t", "kind": "customer", "crm_id": "c1", "qbo_id": "q1"}
    )
    with pytest.raises(DuplicateKeyError):
        await links.insert_one(
            {"tenant": "t", "kind": "customer", "crm_id": "c1", "qbo_id": "q2"}
        )
    with pytest.raises(DuplicateKeyError):
        await links.insert_one(
            {"tenant": "t", "kind": "customer", "crm_id": "c2", "qbo_id": "q1"}
        )
    # Same ids in another tenant or kind are someone else's record.
    await links.insert_one(
        {"tenant": "u", "kind": "customer", "crm_id": "c1", "qbo_id": "q1"}
    )
    await links.insert_one(
        {"tenant": "t", "kind": "item", "crm_id": "c1", "qbo_id": "q1"}
    )
    assert await links.count_documents({}) == 3


async def test_ensure_indexes_is_idempotent(store: Store) -> None:
    await store.ensure_indexes(LINK_INDEXES)
    await store.ensure_indexes(LINK_INDEXES)
    info = await store.db["links"].index_information()
    # Compared by keys: the embedded server names indexes its own way.
    declared = [list(spec.keys) for spec in LINK_INDEXES]
    present = [index["key"] for index in info.values()]
    assert all(keys in present for keys in declared)
    assert len(info) == 1 + len(LINK_INDEXES)  # _id + ours, no duplicates
    unique = [index["key"] for index in info.values() if index.get("unique")]
    assert all(keys in unique for keys in declared)


async def test_compare_and_set_updates_only_the_expected_version(store: Store) -> None:
    links = store.db["links"]
    await links.insert_one({"_id": "l1", "rev": 1, "qbo_sync_token": "0"})
    first = await links.update_one(
        {"_id": "l1", "rev": 1}, {"$set": {"qbo_sync_token": "1"}, "$inc": {"rev": 1}}
    )
    stale = await links.update_one(
        {"_id": "l1", "rev": 1}, {"$set": {"qbo_sync_token": "9"}, "$inc": {"rev": 1}}
    )
    assert (first.matched_count, first.modified_count) == (1, 1)
    assert stale.matched_count == 0
    assert await links.find_one({"_id": "l1"}) == {
        "_id": "l1",
        "rev": 2,
        "qbo_sync_token": "1",
    }


async def test_concurrent_compare_and_set_has_exactly_one_winner(store: Store) -> None:
    links = store.db["links"]
    await links.insert_one({"_id": "l2", "rev": 1})

    async def attempt(i: int) -> int:
        result = await links.update_one(
            {"_id": "l2", "rev": 1}, {"$set": {"winner": i}, "$inc": {"rev": 1}}
        )
        return result.modified_count

    wins = await asyncio.gather(*(attempt(i) for i in range(10)))
    assert sum(wins) == 1
    assert (await links.find_one({"_id": "l2"}) or {})["rev"] == 2


async def test_find_one_and_update_returns_the_document_after(store: Store) -> None:
    cursors = store.db["cursors"]
    after = await cursors.find_one_and_update(
        {"_id": "poll:crm:contact"},
        {"$set": {"watermark": "2026-01-01T00:00:00.000000Z"}, "$inc": {"runs": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert after == {
        "_id": "poll:crm:contact",
        "watermark": "2026-01-01T00:00:00.000000Z",
        "runs": 1,
    }


async def test_concurrent_upserts_make_no_duplicates(store: Store) -> None:
    await store.ensure_indexes(
        [
            IndexSpec(
                "mirror",
                (("tenant", 1), ("system", 1), ("external_id", 1)),
                unique=True,
            )
        ]
    )
    mirror = store.db["mirror"]

    async def upsert(i: int) -> None:
        try:
            await mirror.update_one(
                {"tenant": "t", "system": "qbo", "external_id": "42"},
                {"$set": {"seen": i}},
                upsert=True,
            )
        except DuplicateKeyError:
            # Real MongoDB may raise this to the loser of an upsert race;
            # retrying turns it into an update.
            await mirror.update_one(
                {"tenant": "t", "system": "qbo", "external_id": "42"},
                {"$set": {"seen": i}},
                upsert=True,
            )

    await asyncio.gather(*(upsert(i) for i in range(25)))
    assert await mirror.count_documents({"external_id": "42"}) == 1


async def test_bulk_upserts_and_in_queries(store: Store) -> None:
    mirror = store.db["mirror"]
    result = await mirror.bulk_write(
        [
            UpdateOne({"_id": f"m{i}"}, {"$set": {"email": f"p{i}@x.io"}}, upsert=True)
            for i in range(50)
        ],
        ordered=False,
    )
    assert result.upserted_count == 50
    found = [d async for d in mirror.find({"email": {"$in": ["p3@x.io", "p7@x.io"]}})]
    assert sorted(d["_id"] for d in found) == ["m3", "m7"]


async def test_sort_skip_limit_and_dotted_fields(store: Store) -> None:
    audit = store.db["audit"]
    for i in range(5):
        await audit.insert_one(
            {
                "_id": i,
                "at": to_stored(
                    datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
                ),
                "record": {"entity": "contact" if i % 2 else "item"},
            }
        )
    page = [d["_id"] async for d in audit.find({}).sort("at", -1).skip(1).limit(2)]
    assert page == [3, 2]
    contacts = [d["_id"] async for d in audit.find({"record.entity": "contact"})]
    assert sorted(contacts) == [1, 3]
    await audit.update_one({"_id": 0}, {"$set": {"record.entity": "vendor"}})
    assert (await audit.find_one({"_id": 0}) or {})["record"] == {"entity": "vendor"}


async def test_stored_times_round_trip_and_sort_through_set(store: Store) -> None:
    # $set on an existing document is where the embedded server would turn a
    # datetime into a string: stored times are strings from the start.
    docs = store.db["cursors"]
    await docs.insert_one({"_id": "c", "watermark": stored_now()})
    later = datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    await docs.update_one({"_id": "c"}, {"$set": {"watermark": to_stored(later)}})
    stored = (await docs.find_one({"_id": "c"}) or {})["watermark"]
    assert from_stored(stored) == later
    assert await docs.count_documents({"watermark": {"$gte": to_stored(later)}}) == 1
    assert await docs.count_documents({"watermark": {"$gt": to_stored(later)}}) == 0


async def test_delete_and_unset(store: Store) -> None:
    parked = store.db["parked"]
    await parked.insert_one({"_id": "p", "waiting_for": "x", "note": "n"})
    await parked.update_one({"_id": "p"}, {"$unset": {"note": ""}})
    assert await parked.find_one({"_id": "p"}) == {"_id": "p", "waiting_for": "x"}
    assert (await parked.delete_one({"_id": "p"})).deleted_count == 1
    assert (await parked.delete_one({"_id": "p"})).deleted_count == 0


async def test_inbox_marks_once_and_old_entries_expire(store: Store) -> None:
    await store.ensure_indexes(inbox_indexes(store))
    inbox = Inbox(store)
    await inbox.mark("q", "e1")
    await inbox.mark("q", "e1")  # a second mark is harmless
    assert await inbox.seen("q", "e1")
    assert not await inbox.seen("other", "e1")
    info = await store.db[INBOX].index_information()
    ttl = [i for i in info.values() if i.get("expireAfterSeconds") is not None]
    if store.ttl_indexes_are_cheap:  # real MongoDB: a TTL index does it
        assert len(ttl) == 1
        assert ttl[0]["key"] == [("at", 1)]
    else:  # the embedded server: a periodic delete (see common/inbox.py)
        assert ttl == []
    await store.db[INBOX].insert_one(
        {"_id": "q:old", "at": datetime.now(UTC) - timedelta(days=8)}
    )
    assert await expire_inbox(store) == 1
    assert await inbox.seen("q", "e1")
    assert not await inbox.seen("q", "old")


async def test_inbox_claims_and_marks_asked_together_go_in_few_round_trips(
    store: Store,
) -> None:
    # A gateway taking a batch of writes claims them all at once, and marks
    # them all at once when the batch is done.
    inbox = Inbox(store)
    owner = "here:1:a"
    sent = store.commands.sent
    claims = await asyncio.gather(
        *(inbox.claim("q", f"e{n}", owner) for n in range(40))
    )
    assert claims == [Claim.TAKEN] * 40
    assert store.commands.sent - sent <= 3  # 40 one at a time before
    # Copies elsewhere find them held, together with one not claimed yet.
    copies = await asyncio.gather(
        *(inbox.claim("q", f"e{n}", "there:2:b") for n in (0, 1, 99))
    )
    assert copies == [Claim.BUSY, Claim.BUSY, Claim.TAKEN]
    sent = store.commands.sent
    # e40 and e41 were never claimed: marked all the same.
    await asyncio.gather(*(inbox.mark("q", f"e{n}") for n in range(42)))
    assert store.commands.sent - sent <= 6  # 42 one at a time before
    for n in range(42):
        assert await inbox.seen("q", f"e{n}")
    # A later copy is a duplicate.
    assert await inbox.claim("q", "e3", "there:2:b") is Claim.DONE


async def test_ttl_index_expires_documents(store: Store) -> None:
    # A TTL index of one second expires a document dated in the past. Real
    # MongoDB's TTL monitor runs every 60 s, so wait up to 90 s there.
    await store.ensure_indexes(
        [IndexSpec("short_lived", (("at", 1),), expire_after_seconds=1)]
    )
    await store.db["short_lived"].insert_one(
        {"_id": "old", "at": datetime.now(UTC) - timedelta(hours=1)}
    )

    async def expired() -> bool:
        return await store.db["short_lived"].find_one({"_id": "old"}) is None

    await wait_for(expired, seconds=90)


async def test_the_server_kind_is_detected(store: Store) -> None:
    embedded = not os.environ.get("MONGODB_URL")
    assert (store.server == "nx_27017") is embedded


async def test_a_connection_to_the_embedded_server_has_long_to_open(
    store: Store,
) -> None:
    # A backfill's hundreds of concurrent commands open many connections;
    # the busy embedded server answers a handshake late, and a timeout
    # would pause the driver's pool and fail every command in flight.
    probes = store.db["probes"]
    await probes.insert_one({"_id": "p", "n": 0})
    found = await asyncio.gather(*(probes.find_one({"_id": "p"}) for _ in range(300)))
    assert all(doc == {"_id": "p", "n": 0} for doc in found)
    pool = store.client.options.pool_options
    if store.server == EMBEDDED_SERVER:
        assert pool.connect_timeout == EMBEDDED_OPTIONS["connectTimeoutMS"] / 1000
    else:
        assert pool.connect_timeout == CLIENT_OPTIONS["connectTimeoutMS"] / 1000
