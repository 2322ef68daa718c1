"""Reading the matcher's documents about one record (layouts in
services/matcher/model.py and mongo.py), read directly: the admin service
never imports the matcher.

Every read goes by ``_id`` or by a single-field key (``crm_ref``/``qbo_ref``
of a link, ``key_ref`` of a mirror entry), or is bounded by the audit's
``(tenant, at)`` index, so it stays fast however much is stored.
"""

from __future__ import annotations

from typing import Any

from common.entities import COUNTERPART, QBO_COUNTERPART
from common.record_states import DEAD_LETTERS, LINKS, MIRRORS, PARKED, kind_of

AUDIT = "matcher_audit"
OTHER = {"crm": "qbo", "qbo": "crm"}
Document = dict[str, Any]


def mirror_id(tenant: str, system: str, entity: str, external_id: str) -> str:
    return f"{tenant}|{system}|{entity}|{external_id}"


def link_ref(tenant: str, kind: str, external_id: str) -> str:
    """A link's ``crm_ref``/``qbo_ref``: one field holding the whole key."""
    return f"{tenant}|{kind}|{external_id}"


def counterpart_entity(system: str, entity: str) -> str | None:
    """The entity on the other side this one pairs with (None: an account)."""
    return COUNTERPART.get(entity) if system == "crm" else QBO_COUNTERPART.get(entity)


async def mirror(
    db: Any, tenant: str, system: str, entity: str, external_id: str
) -> Document | None:
    found: Document | None = await db[MIRRORS].find_one(
        {"_id": mirror_id(tenant, system, entity, external_id)}
    )
    return found


async def link_of(
    db: Any, tenant: str, system: str, entity: str, external_id: str
) -> Document | None:
    if entity == "account":  # an account has no pair of its own
        return None
    kind = kind_of(system, entity)
    found: Document | None = await db[LINKS].find_one(
        {f"{system}_ref": link_ref(tenant, kind, external_id)}
    )
    return found


async def parked(
    db: Any, tenant: str, system: str, entity: str, external_id: str
) -> Document | None:
    found: Document | None = await db[PARKED].find_one(
        {"_id": mirror_id(tenant, system, entity, external_id)}
    )
    return found


async def open_letters(
    db: Any, tenant: str, system: str, entity: str, external_id: str
) -> list[Document]:
    query = {
        "tenant": tenant,
        "external_id": external_id,
        "system": system,
        "entity": entity,
    }
    found: list[Document] = (
        await db[DEAD_LETTERS].find(query).sort("last_failed_at", -1).to_list(None)
    )
    return found


async def _pair_entries(
    db: Any, tenant: str, kind: str, ids: dict[str, str | None]
) -> list[Document]:
    """Every audit entry naming either side's id, by the single-field
    ``crm_id``/``qbo_id`` indexes (one query each: an ``$or`` is scanned)."""
    found: dict[Any, Document] = {}
    for side, value in ids.items():
        if not value:
            continue
        async for entry in db[AUDIT].find({f"{side}_id": value}):
            if entry.get("tenant") == tenant and entry.get("kind") == kind:
                found[entry["_id"]] = entry
    return sorted(found.values(), key=lambda entry: str(entry.get("at") or ""))


async def history(
    db: Any, tenant: str, kind: str, ids: dict[str, str | None], limit: int = 100
) -> list[Document]:
    """The audit entries of the pair (either side's id), newest first."""
    entries = await _pair_entries(db, tenant, kind, ids)
    return list(reversed(entries))[:limit]


async def audit_since(
    db: Any, tenant: str, kind: str, ids: dict[str, str | None], since: str
) -> list[Document]:
    """The pair's audit entries recorded at or after ``since``, oldest first."""
    entries = await _pair_entries(db, tenant, kind, ids)
    return [entry for entry in entries if str(entry.get("at") or "") >= since]


async def crm_ids_of(
    db: Any, tenant: str, kind: str, qbo_ids: list[str]
) -> dict[str, str | None]:
    """The CRM ids linked to these QuickBooks ids (a document's references)."""
    found: dict[str, str | None] = {}
    for qbo_id in dict.fromkeys(qbo_ids):
        link = await db[LINKS].find_one({"qbo_ref": link_ref(tenant, kind, qbo_id)})
        found[qbo_id] = (link or {}).get("crm_id")
    return found


async def tenants(db: Any) -> list[str]:
    """Every connected tenant's name (only ``_id`` is read: nothing secret)."""
    return sorted(
        [str(doc["_id"]) async for doc in db["connections"].find({}, {"_id": 1})]
    )


async def field_mapping_source(db: Any, tenant: str) -> Any:
    """The tenant's stored connection settings (its field mappings), or None."""
    doc = await db["connections"].find_one({"_id": tenant}, {"settings": 1})
    return (doc or {}).get("settings")
