"""The matcher's cost per change as the stored records grow.

N linked contacts are stored first (both mirror entries and the link, bulk
inserted), then the matcher's handler takes two kinds of change one at a
time on the real store: an edit of a linked contact (the common path: the
merge, one write) and a new contact (identity look-up, a create). Reported
per N: milliseconds per change (mean and p95) and store round trips per
change, counted by a command listener on the driver (every command the
handler sends: finds, inserts, replaces, updates, deletes).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from common.messages import Envelope, Version
from common.records import Party
from common.settings import Settings
from common.store import Store, open_store
from common.store.commands import CommandCounter
from services.matcher.bootstrap import bootstrap
from services.matcher.fields import values_hash
from services.matcher.model import Link, MirrorEntry, version_key
from services.matcher.mongo import stored

TENANT = "bench"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 1000


# What the crm-gateway reads of a contact that has no account: the company
# fields, the display name and "active" are not a contact's to carry.
CONTACT_NOT_CARRIED = ["active", "billing_address", "company_name", "display_name"]


def _contact(i: int, phone: str = "+1 415 555 0000") -> dict[str, Any]:
    """A Zoho contact as the crm-gateway's change carries it."""
    person = Party(
        first_name="P", last_name=f"N{i}", email=f"p{i}@bench.io", phone=phone
    )
    return {**person.model_dump(mode="json"), "not_carried": CONTACT_NOT_CARRIED}


def _customer(i: int) -> dict[str, Any]:
    """Its QBO customer as the qbo-gateway's change carries it."""
    person = Party(
        first_name="P",
        last_name=f"N{i}",
        display_name=f"P N{i}",
        email=f"p{i}@bench.io",
        phone="+1 415 555 0000",
    )
    return {**person.model_dump(mode="json"), "not_carried": ["account_id"]}


def _stored(i: int) -> list[tuple[str, dict[str, Any]]]:
    """The documents the matcher keeps for one linked contact, as its
    repository stores them: two mirror entries and the link."""
    crm_id, qbo_id = f"c{i}", f"q{i}"
    record = _contact(i)
    key = record["email"]
    # The agreed values of the synced fields both sides carry.
    values = {k: record[k] for k in ("first_name", "last_name", "email", "phone")}
    crm = MirrorEntry(
        tenant=TENANT,
        system="crm",
        entity="contact",
        external_id=crm_id,
        record=record,
        version=Version(updated_at=T0),
        vkey=version_key(Version(updated_at=T0)),
        match_key=key,
        rev=1,
    )
    qbo = crm.model_copy(
        update={
            "system": "qbo",
            "entity": "customer",
            "external_id": qbo_id,
            "record": _customer(i),
            "version": Version(updated_at=T0, sequence=0),
        }
    )
    link = Link(
        id=f"{TENANT}|contact|crm|{crm_id}",
        tenant=TENANT,
        kind="contact",
        crm_id=crm_id,
        qbo_id=qbo_id,
        base=values,
        base_hash=values_hash(values),
        rev=1,
    )
    return [
        ("matcher_mirror", stored(crm)),
        ("matcher_mirror", stored(qbo)),
        ("matcher_links", stored(link)),
    ]


async def _seed(store: Store, count: int, start: int) -> None:
    for first in range(start, start + count, CHUNK):
        batch: dict[str, list[dict[str, Any]]] = {}
        for i in range(first, min(first + CHUNK, start + count)):
            for collection, doc in _stored(i):
                batch.setdefault(collection, []).append(doc)
        for collection, docs in batch.items():
            await store.db[collection].insert_many(docs, ordered=False)


def _change(i: int, second: int, phone: str) -> Envelope:
    return Envelope(
        kind="change",
        tenant=TENANT,
        system="crm",
        entity="contact",
        external_id=f"c{i}",
        version=Version(updated_at=T0 + timedelta(days=1, seconds=second)),
        payload={"record": _contact(i, phone)},
    )


async def _timed(
    matcher: Any, commands: CommandCounter, changes: Sequence[Envelope]
) -> tuple[list[float], int]:
    took: list[float] = []
    before = commands.sent
    for change in changes:
        started = time.perf_counter()
        await matcher.handle(change)
        took.append((time.perf_counter() - started) * 1000)
    return took, commands.sent - before


def _summary(took: list[float], sent: int) -> dict[str, float]:
    ordered = sorted(took)
    return {
        "ms_mean": round(statistics.fmean(took), 2),
        "ms_p95": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "round_trips_per_change": round(sent / len(took), 1),
    }


async def matcher_scale(
    settings: Settings, sizes: Sequence[int], changes: int
) -> dict[str, Any]:
    # The project's own store, once, for what kind of server it is (the
    # embedded one behaves otherwise in places); then a client of the same
    # server with the command listener on it.
    probe = await open_store(settings)
    server = probe.server
    await probe.close()
    assert settings.mongodb_url is not None
    commands = CommandCounter()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_url.get_secret_value(),
        tz_aware=True,
        event_listeners=[commands],
    )
    database = f"{settings.mongodb_database}_scale"
    store = Store(client=client, db=client[database], server=server, commands=commands)
    figures: dict[str, Any] = {}
    try:
        matcher = await bootstrap(store)
        stored, fresh = 0, 10_000_000
        for size in sizes:
            await _seed(store, size - stored, stored)
            # Contacts stored in this round, spread over it, none edited before.
            step = max(1, (size - stored) // changes)
            picked = range(stored, size, step)
            stored = size
            second = size * 10
            edits = [
                _change(i, second + n, f"+1 415 555 {n + 1:04}")
                for n, i in enumerate(picked)
            ][:changes]
            new = [
                _change(fresh + n, second + changes + n, "+1 415 555 0001")
                for n in range(changes)
            ]
            fresh += changes
            edit_took, edit_sent = await _timed(matcher, commands, edits)
            new_took, new_sent = await _timed(matcher, commands, new)
            figures[str(size)] = {
                "edit_of_a_linked_contact": _summary(edit_took, edit_sent),
                "new_contact": _summary(new_took, new_sent),
            }
        smallest, largest = str(sizes[0]), str(sizes[-1])
        figures["edit_cost_ratio_largest_to_smallest"] = round(
            figures[largest]["edit_of_a_linked_contact"]["ms_mean"]
            / figures[smallest]["edit_of_a_linked_contact"]["ms_mean"],
            2,
        )
        figures["new_cost_ratio_largest_to_smallest"] = round(
            figures[largest]["new_contact"]["ms_mean"]
            / figures[smallest]["new_contact"]["ms_mean"],
            2,
        )
    finally:
        await client.drop_database(database)
        await client.close()
    return figures
