"""How many records of each pair kind are linked, waiting, refused, failed.

A record is a mirror entry of the matcher (one per record read from a side)
or, for a record its gateway could not read, an open dead letter naming it;
its *direction* is the side of that entry: "from Zoho CRM" are the Zoho
records the sync has read, whichever side first made them. Each record's
state is decided by ``common.record_states.state_of``, the function
`syncctl record` and the records page use, so the counts agree with them.

The documents are read in four queries (mirror entries, links, parked
documents, dead letters) and joined here: the embedded store scans a
collection whatever the filter, so one pass per collection costs less than a
count per state. Each read is an aggregate ``$project`` of only the fields
the state needs (all scalars): the embedded server answers it in SQL (about
5x faster than a ``find`` with the same projection, which decodes every
whole document, record included), and returns booleans as 0/1.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from common.entities import COUNTERPART, ENTITIES
from common.record_states import (
    DEAD_LETTERS,
    LINKS,
    MIRRORS,
    OTHER,
    PARKED,
    SIDE,
    kind_of,
    state_of,
)

Document = Mapping[str, Any]
TOP_REASONS = 5
# Pair kinds in the page's order; accounts are a row of their own (Zoho only).
KINDS: tuple[str, ...] = (*COUNTERPART, "account")
STATES = ("linked", "waiting", "refused", "failed", "deleted")
WAITING_ON = ("dependencies", "create", "confirmation", "decision")


def entity_on(system: str, kind: str) -> str | None:
    """The entity of ``kind`` on ``system`` (None: accounts on QuickBooks)."""
    if system == "crm":
        return kind
    return COUNTERPART.get(kind)


@dataclass
class DirectionCounts:
    """The records of one pair kind read from one side."""

    system: str
    entity: str
    states: Counter[str] = field(default_factory=Counter)
    waiting_on: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, Counter[str]] = field(
        default_factory=lambda: {"refused": Counter(), "failed": Counter()}
    )
    # "crm contact" → parked documents waiting on one, and how many distinct
    dependency_documents: Counter[str] = field(default_factory=Counter)
    dependency_records: dict[str, set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )

    def add(self, state: str, detail: str, parked: Document | None, link: Any) -> None:
        name = "linked" if state == "synced" else state
        if name not in STATES:  # "not seen yet" cannot happen for a read record
            return
        self.states[name] += 1
        if name in ("refused", "failed"):
            self.reasons[name][detail or "(no reason given)"] += 1
        elif name == "waiting":
            on = _waiting_on(self.system, parked, link)
            self.waiting_on[on] += 1
            if on == "dependencies" and parked is not None:
                for key in parked.get("waiting") or ():
                    kind = " ".join(str(key).split(":")[:2])  # "crm contact"
                    self.dependency_documents[kind] += 1
                    self.dependency_records[kind].add(str(key))

    def answer(self) -> dict[str, Any]:
        return {
            "from": self.system,
            "from_name": SIDE[self.system],
            "entity": self.entity,
            "total": sum(self.states.values()),
            **{name: self.states[name] for name in STATES},
            "in_flight": self.waiting_on["confirmation"],
            "waiting_on": {name: self.waiting_on[name] for name in WAITING_ON},
            "dependencies": [
                {
                    "on": kind,
                    "documents": self.dependency_documents[kind],
                    "records": len(self.dependency_records[kind]),
                }
                for kind in sorted(self.dependency_documents)
            ],
            "refused_reasons": _top(self.reasons["refused"]),
            "failed_reasons": _top(self.reasons["failed"]),
        }


def _waiting_on(system: str, parked: Document | None, link: Any) -> str:
    """What a waiting record waits on, in state_of's order of checks."""
    if parked is not None:
        return "dependencies"
    if link is None:
        return "decision"
    if link.get(f"{OTHER[system]}_id") is None:
        return "create"
    return "confirmation"


def _top(reasons: Counter[str]) -> list[dict[str, Any]]:
    return [
        {"reason": reason, "count": count}
        for reason, count in reasons.most_common(TOP_REASONS)
    ]


def _dotted(document: Document, path: str) -> Any:
    """A projected field, nested (MongoDB) or under its dotted name (the
    embedded server returns ``{"record.active": ...}``)."""
    if path in document:
        return document[path]
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


MIRROR_FIELDS = {
    field: 1
    for field in (
        "tenant",
        "system",
        "entity",
        "external_id",
        "deleted",
        "state",
        "reason",
        "record.active",
    )
}
LINK_FIELDS = {
    field: 1
    for field in (
        "tenant",
        "kind",
        "crm_id",
        "qbo_id",
        "state",
        "reason",
        "pending.crm.key",
        "pending.qbo.key",
    )
}
PARKED_FIELDS = {"waiting": 1}
LETTER_FIELDS = {
    field: 1
    for field in (
        "tenant",
        "system",
        "entity",
        "external_id",
        "error_class",
        "reason",
        "last_failed_at",
    )
}


def _mirror(document: Document) -> dict[str, Any]:
    """What state_of reads of a mirror entry."""
    active = _dotted(document, "record.active")
    return {
        "deleted": bool(document.get("deleted")),
        "state": document.get("state"),
        "reason": document.get("reason"),
        # state_of asks ``active is False``: 0 from the embedded server too.
        "record": {} if active is None else {"active": bool(active)},
    }


def _link(document: Document) -> dict[str, Any]:
    """What state_of reads of a link (pending: which sides, not the writes)."""
    pending = {
        side: True
        for side in ("crm", "qbo")
        if _dotted(document, f"pending.{side}.key") is not None
    }
    return {
        "kind": document.get("kind"),
        "crm_id": document.get("crm_id"),
        "qbo_id": document.get("qbo_id"),
        "state": document.get("state"),
        "reason": document.get("reason"),
        "pending": pending,
    }


class Tally:
    """Every tenant's counts, as records are added."""

    def __init__(self) -> None:
        self.tenants: dict[str, dict[tuple[str, str], DirectionCounts]] = {}

    def direction(self, tenant: str, system: str, entity: str) -> DirectionCounts:
        rows = self.tenants.setdefault(tenant, {})
        found = rows.get((system, entity))
        if found is None:
            found = rows[(system, entity)] = DirectionCounts(system, entity)
        return found

    def answer(self, tenant: str) -> list[dict[str, Any]]:
        rows = []
        for kind in KINDS:
            directions = []
            for system in ("crm", "qbo"):
                entity = entity_on(system, kind)
                if entity is None:
                    continue
                counts = self.tenants.get(tenant, {}).get((system, entity))
                directions.append((counts or DirectionCounts(system, entity)).answer())
            rows.append(
                {
                    "kind": kind,
                    "crm_entity": kind,
                    "qbo_entity": COUNTERPART.get(kind),
                    "directions": directions,
                }
            )
        return rows


def tally(
    mirrors: Iterable[Document],
    links: Iterable[Document],
    parked: Iterable[Document],
    letters: Iterable[Document],
) -> Tally:
    """Each record's state (state_of), counted per tenant, kind and side."""
    by_side: dict[str, dict[tuple[str, str, str], dict[str, Any]]] = {
        "crm": {},
        "qbo": {},
    }
    for document in links:
        read = _link(document)
        for system in ("crm", "qbo"):
            if read[f"{system}_id"] is not None:
                key = (str(document.get("tenant")), str(read["kind"]))
                by_side[system][(*key, str(read[f"{system}_id"]))] = read
    parked_by_id = {str(document["_id"]): document for document in parked}
    letters_by_record: dict[str, list[Document]] = defaultdict(list)
    for letter in letters:
        parts = [letter.get(name) for name in ("system", "entity", "external_id")]
        if letter.get("tenant") and all(parts) and entity_known(*parts[:2]):
            record_id = "|".join(str(p) for p in (letter["tenant"], *parts))
            letters_by_record[record_id].append(letter)
    for record_letters in letters_by_record.values():
        record_letters.sort(key=lambda d: str(d.get("last_failed_at") or ""))
        record_letters.reverse()  # newest first, as read_state sorts them

    result = Tally()
    for document in mirrors:
        tenant, system, entity = (
            str(document.get(name)) for name in ("tenant", "system", "entity")
        )
        external_id = str(document.get("external_id"))
        if not entity_known(system, entity):
            continue
        record_id = f"{tenant}|{system}|{entity}|{external_id}"
        link = (
            None
            if entity == "account"
            else by_side[system].get((tenant, kind_of(system, entity), external_id))
        )
        parked_entry = parked_by_id.get(record_id)
        state = state_of(
            system,
            entity,
            external_id,
            mirror=_mirror(document),
            link=link,
            parked=parked_entry,
            letters=letters_by_record.pop(record_id, ()),
        )
        result.direction(tenant, system, entity).add(
            state.state, state.detail, parked_entry, link
        )
    # Records their gateway could not read: a dead letter, no mirror entry.
    for record_id, record_letters in letters_by_record.items():
        tenant, system, entity, external_id = record_id.split("|", 3)
        state = state_of(
            system,
            entity,
            external_id,
            mirror=None,
            link=None,
            parked=None,
            letters=record_letters,
        )
        result.direction(tenant, system, entity).add(
            state.state, state.detail, None, None
        )
    return result


def entity_known(system: Any, entity: Any) -> bool:
    return entity in ENTITIES.get(str(system), ())


async def read_tally(db: Any, tenant: str | None) -> Tally:
    """The four reads, then the tally (``tenant`` None: every tenant)."""
    query = {"tenant": tenant} if tenant else {}

    async def read(collection: str, fields: dict[str, int]) -> list[Document]:
        pipeline = [{"$match": query}, {"$project": fields}]
        return list(await (await db[collection].aggregate(pipeline)).to_list(None))

    # Parked documents are few, and their ``waiting`` is a list, which the
    # embedded server's $project returns as a JSON string: a plain find.
    parked = await db[PARKED].find(query, PARKED_FIELDS).to_list(None)
    return tally(
        await read(MIRRORS, MIRROR_FIELDS),
        await read(LINKS, LINK_FIELDS),
        parked,
        await read(DEAD_LETTERS, LETTER_FIELDS),
    )
