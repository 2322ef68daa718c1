"""Finding records from what a person knows: an id, an email or a name, on
either side, within one tenant; or every record in one state.

An id is exact (the mirror's ``_id`` per entity); an email goes by the
mirror's ``key_ref`` (the matcher's single-field key over the normalised
email) for the entities keyed by email, else a bounded scan; a name is a
case-insensitive substring of the record's name fields, scanned within the
tenant and bounded by ``limit``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from common.entities import COUNTERPART, ENTITIES, QBO_COUNTERPART
from common.matchkeys import KEY_KINDS, email_key
from common.record_states import DEAD_LETTERS, LINKS, MIRRORS, PARKED
from services.admin.records.documents import Document, mirror_id

# The record fields a person knows it by (common/subjects.py's label).
NAME_FIELDS = ("display_name", "name", "first_name", "last_name", "number", "subject")
STATES = ("refused", "failed", "waiting", "synced")
QUERY_KINDS = ("id", "email", "name")
Place = tuple[str, str]  # (system, entity)


def places(system: str, entity: str) -> list[Place]:
    """Each (system, entity) a query looks in."""
    systems = (system,) if system else ("crm", "qbo")
    return [(s, e) for s in systems for e in ENTITIES[s] if not entity or e == entity]


def _pair_kind(system: str, entity: str) -> str:
    return entity if system == "crm" else QBO_COUNTERPART.get(entity, entity)


def keyed_by_email(system: str, entity: str) -> bool:
    """Whether the matcher keys this entity's mirror entries by email."""
    kinds = KEY_KINDS.get(_pair_kind(system, entity))
    return kinds is not None and kinds[0] == "email"


def looks_like_email(q: str) -> bool:
    return "@" in q and " " not in q.strip()


async def by_id(db: Any, tenant: str, q: str, where: Sequence[Place]) -> list[Document]:
    # One find by _id per entity: an equality on the key is the fast path on
    # both MongoDB and the embedded server (an $in is not, on the latter).
    found = []
    for system, entity in where:
        doc = await db[MIRRORS].find_one(
            {"_id": mirror_id(tenant, system, entity, q.strip())}
        )
        if doc is not None:
            found.append(doc)
    return found


async def by_email(
    db: Any, tenant: str, q: str, where: Sequence[Place], limit: int
) -> list[Document]:
    key = email_key(q)
    if key is None:
        return []
    refs = [f"{tenant}|{s}|{e}|{key}" for s, e in where if keyed_by_email(s, e)]
    found = []
    for ref in refs:  # each by the single-field key_ref index
        found += [doc async for doc in db[MIRRORS].find({"key_ref": ref})]
    if found or len(refs) == len(where):
        return found[:limit]
    # Entities not keyed by email (an account, say): a bounded scan.
    pattern = {"$regex": f"^{re.escape(q.strip())}$", "$options": "i"}
    query = {**_within(tenant, where), "record.email": pattern}
    return [doc async for doc in db[MIRRORS].find(query).limit(limit)]


async def by_name(
    db: Any, tenant: str, q: str, where: Sequence[Place], limit: int
) -> list[Document]:
    """Every word of ``q`` in one of the record's name fields (so "Ann Lee"
    finds first name Ann, last name Lee), case-insensitive."""
    words = q.split()
    if not words:
        return []
    each_word = [
        {
            "$or": [
                {f"record.{field}": {"$regex": re.escape(word), "$options": "i"}}
                for field in NAME_FIELDS
            ]
        }
        for word in words
    ]
    query = {**_within(tenant, where), "$and": each_word}
    return [doc async for doc in db[MIRRORS].find(query).limit(limit)]


def _within(tenant: str, where: Sequence[Place]) -> Document:
    query: Document = {"tenant": tenant}
    systems = sorted({s for s, _ in where})
    entities = sorted({e for _, e in where})
    if len(systems) == 1:
        query["system"] = systems[0]
    if len(entities) == 1:
        query["entity"] = entities[0]
    return query


async def in_state(
    db: Any, tenant: str, state: str, where: Sequence[Place], limit: int
) -> list[tuple[str, str, str]]:
    """Candidates (system, entity, id) for records in ``state``; the caller
    reads each one's state to keep those really in it."""
    wanted = set(where)
    found: list[tuple[str, str, str]] = []

    def add(system: Any, entity: Any, external_id: Any) -> None:
        item = (str(system), str(entity), str(external_id))
        if (item[0], item[1]) in wanted and item not in found:
            found.append(item)

    scan = limit * 4  # candidates are checked; some are in another state
    if state in ("refused", "failed"):
        query = {"tenant": tenant, "state": state}
        async for doc in db[MIRRORS].find(query).limit(scan):
            add(doc["system"], doc["entity"], doc["external_id"])
        letters = {"tenant": tenant, "external_id": {"$ne": None}}
        async for doc in (
            db[DEAD_LETTERS].find(letters).sort("last_failed_at", -1).limit(scan)
        ):
            if doc.get("system") and doc.get("entity"):
                add(doc["system"], doc["entity"], doc["external_id"])
    elif state == "waiting":
        async for doc in db[PARKED].find({"tenant": tenant}).limit(scan):
            add(doc["system"], doc["entity"], doc["external_id"])
        async for link in (
            db[LINKS].find({"tenant": tenant, "state": "creating"}).limit(scan)
        ):
            _add_link_sides(link, add)
        pending = {
            "tenant": tenant,
            "$or": [
                {"pending.crm.key": {"$exists": True}},
                {"pending.qbo.key": {"$exists": True}},
            ],
        }
        async for link in db[LINKS].find(pending).limit(scan):
            _add_link_sides(link, add)
    elif state == "synced":
        query = {"tenant": tenant, "state": "linked"}
        async for link in db[LINKS].find(query).limit(scan):
            _add_link_sides(link, add)
    return found


def _add_link_sides(link: Document, add: Any) -> None:
    kind = str(link.get("kind"))
    if link.get("crm_id"):
        add("crm", kind, link["crm_id"])
    if link.get("qbo_id"):
        add("qbo", COUNTERPART.get(kind, kind), link["qbo_id"])
