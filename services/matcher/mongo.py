"""The repository on MongoDB (PyMongo async): one document per mirror entry,
link, parked document and audit entry; compare-and-set on ``rev``.

Every look-up goes by ``_id`` or by one field holding the whole key
(``crm_ref`` = ``tenant|kind|crm_id``, ``key_ref`` = ``tenant|system|entity|
match_key``, ...): both the embedded server and MongoDB answer a single-field
index in about the same time whatever the collection's size, where the
embedded server's compound indexes slow down as it grows (issue "scale").
The ``*_ref`` fields are derived on every save (``_doc``), and filled in on
documents stored before them when the indexes are ensured (``backfill_refs``).
A query the embedded server cannot turn into SQL (an ``$or``, say) reads
and decodes every document of the collection, every tenant's: the sweep's
look for links in flight goes by ``flight_ref`` for that reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from common.connection_settings import DEFAULT_SETTINGS, ConnectionSettings
from common.connections import settings_from
from common.store import Store
from common.store.client import IndexSpec
from services.matcher.model import AuditEntry, Link, MirrorEntry, Parked
from services.matcher.ports import StaleWrite

Document = dict[str, Any]
DUPLICATE_KEY = 11000


def _ref(*parts: str | None) -> str | None:
    """One field for a compound key; None when its last part is missing."""
    return None if parts[-1] is None else "|".join(str(p) for p in parts)


def _string_only(field: str) -> dict[str, Any]:
    return {"partialFilterExpression": {field: {"$type": "string"}}}


INDEXES = [
    IndexSpec(
        "matcher_links",
        (("crm_ref", 1),),
        unique=True,
        name="link_crm_ref",
        options=_string_only("crm_ref"),
    ),
    IndexSpec(
        "matcher_links",
        (("qbo_ref", 1),),
        unique=True,
        name="link_qbo_ref",
        options=_string_only("qbo_ref"),
    ),
    IndexSpec("matcher_links", (("tenant", 1), ("state", 1)), name="link_state"),
    IndexSpec(
        "matcher_links",
        (("flight_ref", 1),),
        name="link_flight_ref",
        options=_string_only("flight_ref"),
    ),
    IndexSpec("matcher_links", (("pending.crm.key", 1),), name="link_pending_crm"),
    IndexSpec("matcher_links", (("pending.qbo.key", 1),), name="link_pending_qbo"),
    IndexSpec(
        "matcher_mirror",
        (("key_ref", 1),),
        name="mirror_key_ref",
        options=_string_only("key_ref"),
    ),
    IndexSpec(
        "matcher_mirror",
        (("alt_ref", 1),),
        name="mirror_alt_ref",
        options=_string_only("alt_ref"),
    ),
    IndexSpec(
        "matcher_mirror",
        (("account_ref", 1),),
        name="mirror_account_ref",
        options=_string_only("account_ref"),
    ),
    IndexSpec(
        "matcher_mirror",
        (("failed_write", 1),),
        name="mirror_failed_write_key",
        options=_string_only("failed_write"),
    ),
    IndexSpec("matcher_parked", (("tenant", 1), ("waiting", 1)), name="parked_waiting"),
    IndexSpec("matcher_audit", (("tenant", 1), ("at", 1)), name="audit_at"),
    # A pair's history (the console's record page) by either side's id.
    IndexSpec(
        "matcher_audit",
        (("crm_id", 1),),
        name="audit_crm_id",
        options=_string_only("crm_id"),
    ),
    IndexSpec(
        "matcher_audit",
        (("qbo_id", 1),),
        name="audit_qbo_id",
        options=_string_only("qbo_id"),
    ),
]
# Indexes of earlier versions (by their keys: the embedded server names
# indexes its own way), dropped when the indexes are ensured.
RETIRED_INDEXES = {
    "matcher_links": (
        (("tenant", 1), ("kind", 1), ("crm_id", 1)),
        (("tenant", 1), ("kind", 1), ("qbo_id", 1)),
    ),
    "matcher_mirror": (
        (("tenant", 1), ("system", 1), ("entity", 1), ("match_key", 1)),
        (("tenant", 1), ("system", 1), ("entity", 1), ("alt_key", 1)),
        (("tenant", 1), ("account_id", 1)),
        (("tenant", 1), ("failed_write", 1)),
    ),
}


class MongoRepository:
    def __init__(self, store: Store) -> None:
        db = store.db
        self.store = store
        self.connections = db["connections"]
        self.mirrors = db["matcher_mirror"]
        self.links = db["matcher_links"]
        self.parked = db["matcher_parked"]
        self.audit = db["matcher_audit"]

    async def ensure_indexes(self) -> None:
        await backfill_refs(self.store)
        await self.store.ensure_indexes(INDEXES)
        for collection, retired in RETIRED_INDEXES.items():
            existing = await self.store.db[collection].index_information()
            for name, info in existing.items():
                if tuple(tuple(part) for part in info["key"]) in retired:
                    await self.store.db[collection].drop_index(name)

    async def settings(self, tenant: str) -> ConnectionSettings:
        doc = await self.connections.find_one({"_id": tenant}, {"settings": 1})
        if doc is None or not doc.get("settings"):
            return DEFAULT_SETTINGS
        return settings_from(tenant, doc["settings"])

    async def mirror(
        self, tenant: str, system: str, entity: str, external_id: str
    ) -> MirrorEntry | None:
        doc = await self.mirrors.find_one(
            {"_id": f"{tenant}|{system}|{entity}|{external_id}"}
        )
        return _mirror(doc) if doc else None

    async def mirrors_by_key(
        self, tenant: str, system: str, entity: str, key: str, *, alt: bool = False
    ) -> list[MirrorEntry]:
        query = {"alt_ref" if alt else "key_ref": _ref(tenant, system, entity, key)}
        return [_mirror(doc) async for doc in self.mirrors.find(query)]

    async def mirror_by_failed_write(
        self, tenant: str, system: str, key: str
    ) -> MirrorEntry | None:
        async for doc in self.mirrors.find({"failed_write": key}):
            if doc["tenant"] == tenant and doc["system"] == system:
                return _mirror(doc)
        return None

    async def contacts_of_account(
        self, tenant: str, account_id: str
    ) -> list[MirrorEntry]:
        query = {"account_ref": _ref(tenant, account_id)}
        return [
            _mirror(doc)
            async for doc in self.mirrors.find(query)
            if doc["entity"] == "contact"
        ]

    async def save_mirror(self, entry: MirrorEntry) -> MirrorEntry:
        saved = entry.model_copy(update={"rev": entry.rev + 1})
        await _compare_and_set(self.mirrors, entry.id, entry.rev, _doc(saved))
        return saved

    async def link_of(
        self, tenant: str, kind: str, system: str, external_id: str
    ) -> Link | None:
        doc = await self.links.find_one(
            {f"{system}_ref": _ref(tenant, kind, external_id)}
        )
        return _link(doc) if doc else None

    async def links_of(
        self, tenant: str, kind: str, system: str, external_ids: list[str]
    ) -> dict[str, Link]:
        if not external_ids:
            return {}
        refs = [_ref(tenant, kind, external_id) for external_id in external_ids]
        query = {f"{system}_ref": {"$in": refs}}
        return {doc[f"{system}_id"]: _link(doc) async for doc in self.links.find(query)}

    async def link_by_pending_key(
        self, tenant: str, system: str, key: str
    ) -> Link | None:
        doc = await self.links.find_one(
            {"tenant": tenant, f"pending.{system}.key": key}
        )
        return _link(doc) if doc else None

    async def save_link(self, link: Link) -> Link:
        saved = link.model_copy(update={"rev": link.rev + 1})
        await _compare_and_set(self.links, link.id, link.rev, _doc(saved))
        return saved

    async def delete_link(self, link: Link) -> None:
        result = await self.links.delete_one({"_id": link.id, "rev": link.rev})
        if result.deleted_count != 1:
            raise StaleWrite(f"link {link.id} changed concurrently")

    async def links_in_flight(self, tenant: str, stored_before: str) -> list[Link]:
        # One indexed field (``Link.in_flight``'s tenant): the $or this took
        # before read every tenant's links on the embedded server, whose
        # query planner turns no $or into SQL. The outbox's age is compared
        # here, not in the query: there a range on "outbox.at" found nothing
        # for links whose outbox a later save had set (tests/matcher/
        # test_sweep.py and test_repository_contract.py::test_links_in_flight
        # hold both). The sweep reads this only while no backfill's writes
        # are queued.
        return [
            link
            async for doc in self.links.find({"flight_ref": tenant})
            if (link := _link(doc)).outbox is not None
            and link.outbox.at < stored_before
        ]

    async def park(self, parked: Parked) -> None:
        # _id in the replacement too: the embedded server's upsert ignores the filter's
        doc = {"_id": parked.id, **parked.model_dump(mode="json")}
        await self.parked.replace_one({"_id": parked.id}, doc, upsert=True)

    async def parked_waiting_on(self, tenant: str, keys: list[str]) -> list[Parked]:
        query = {"tenant": tenant, "waiting": {"$in": keys}}
        return [
            Parked.model_validate(_strip_id(doc))
            async for doc in self.parked.find(query)
        ]

    async def parked_of(self, tenant: str, system: str) -> list[Parked]:
        query = {"tenant": tenant, "system": system}
        return [
            Parked.model_validate(_strip_id(doc))
            async for doc in self.parked.find(query)
        ]

    async def update_parked(self, parked_id: str, changes: dict[str, Any]) -> bool:
        # No upsert: an entry unparked meanwhile stays gone. Times are stored
        # strings (the embedded server turns a $set datetime into one anyway).
        result = await self.parked.update_one({"_id": parked_id}, {"$set": changes})
        return bool(result.matched_count == 1)

    async def unpark(self, parked: Parked) -> None:
        await self.parked.delete_one({"_id": parked.id})

    async def record_audit(self, entry: AuditEntry) -> None:
        # A duplicate is the same action recorded by an earlier delivery.
        with contextlib.suppress(DuplicateKeyError):
            await self.audit.insert_one(_audit_doc(entry))

    async def record_audits(self, entries: Sequence[AuditEntry]) -> None:
        if len(entries) <= 1:
            for entry in entries:
                await self.record_audit(entry)
            return
        try:
            # Unordered: a duplicate (an earlier delivery's) skips only itself.
            await self.audit.insert_many(
                [_audit_doc(entry) for entry in entries], ordered=False
            )
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise

    async def audit_of(self, tenant: str) -> list[AuditEntry]:
        cursor = self.audit.find({"tenant": tenant}).sort("at", 1)
        return [
            AuditEntry.model_validate({**_strip_id(doc), "id": doc["_id"]})
            async for doc in cursor
        ]


async def _compare_and_set(
    collection: Any, doc_id: str, rev: int, doc: Document
) -> None:
    try:
        if rev == 0:
            await collection.insert_one({"_id": doc_id, **doc})
            return
        result = await collection.replace_one(
            {"_id": doc_id, "rev": rev}, {"_id": doc_id, **doc}
        )
    except DuplicateKeyError as exc:
        raise StaleWrite(f"{doc_id} conflicts with a concurrent write") from exc
    if result.matched_count != 1:
        raise StaleWrite(f"{doc_id} changed concurrently")


def _audit_doc(entry: AuditEntry) -> Document:
    return {"_id": entry.id, **entry.model_dump(mode="json", exclude={"id"})}


def _doc(model: MirrorEntry | Link) -> Document:
    return {**model.model_dump(mode="json", exclude={"id"}), **_refs(model)}


def stored(model: MirrorEntry | Link) -> Document:
    """The document this repository stores for ``model`` (``_id`` included),
    for loading many at once (the benchmark's seed)."""
    return {"_id": model.id, **_doc(model)}


def _refs(model: MirrorEntry | Link) -> Document:
    """The single-field keys the look-ups go by (see the module's doc)."""
    if isinstance(model, Link):
        return {
            "crm_ref": _ref(model.tenant, model.kind, model.crm_id),
            "qbo_ref": _ref(model.tenant, model.kind, model.qbo_id),
            # False, not None, when not in flight: the embedded server takes
            # a null for a missing field, and backfill_refs looks for those.
            "flight_ref": model.tenant if model.in_flight else False,
        }
    place = (model.tenant, model.system, model.entity)
    return {
        "key_ref": _ref(*place, model.match_key),
        "alt_ref": _ref(*place, model.alt_key),
        "account_ref": _ref(model.tenant, model.account_id),
    }


async def backfill_refs(store: Store) -> int:
    """Derive the ``*_ref`` fields of documents stored before they existed
    (a demo's data kept in var/mongo, say). Cheap when there are none."""
    filled = 0
    for name, model in (("matcher_links", "link"), ("matcher_mirror", "mirror")):
        collection = store.db[name]
        # A field no save leaves null (the embedded server takes a null for
        # a missing field): the newest of the link's refs.
        field = "flight_ref" if model == "link" else "key_ref"
        async for doc in collection.find({field: {"$exists": False}}):
            parsed = _link(doc) if model == "link" else _mirror(doc)
            await collection.update_one({"_id": doc["_id"]}, {"$set": _refs(parsed)})
            filled += 1
    return filled


def _strip_id(doc: Document) -> Document:
    return {k: v for k, v in doc.items() if k != "_id"}


REF_FIELDS = frozenset(
    {"crm_ref", "qbo_ref", "flight_ref", "key_ref", "alt_ref", "account_ref"}
)


def _fields(doc: Document) -> Document:
    return {k: v for k, v in doc.items() if k != "_id" and k not in REF_FIELDS}


def _mirror(doc: Document) -> MirrorEntry:
    return MirrorEntry.model_validate(_fields(doc))


def _link(doc: Document) -> Link:
    return Link.model_validate({**_fields(doc), "id": doc["_id"]})
