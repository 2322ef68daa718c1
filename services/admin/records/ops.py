"""The Records area's operations: find a record, show everything about it,
sync it now and wait for the outcome. Shared by the API, the pages and
syncctl; plain async functions over a Console (no HTTP, no argparse)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from common.bus.requests import NoAnswer, Request, ask
from common.connection_settings import ConnectionSettings
from common.entities import ENTITIES
from common.errors import PermanentError
from common.record_states import PARKED, RecordState, kind_of, read_state
from common.store.times import stored_now
from common.subjects import label_of
from common.synced_fields import NOT_CARRIED, SYNC_FIELDS
from services.admin.console import Console
from services.admin.http.errors import BadRequest, NotFound, Unavailable
from services.admin.operations import force_sync
from services.admin.records import compare, documents, lookup
from services.admin.records.documents import OTHER, Document
from services.admin.records.outcome import Outcome, from_audit, from_letters, message

GATEWAY = {"crm": "crm_gateway", "qbo": "qbo_gateway"}
SIDE_NAMES = {"crm": "Zoho CRM", "qbo": "QuickBooks"}
DOCUMENT_KINDS = ("invoice", "quote")
LIVE_WAIT_SECONDS = 5.0
LOOKUP_WAIT_SECONDS = 15.0
POLL_SECONDS = 0.25
ACCOUNT_NOTE = (
    "an account has no QuickBooks record of its own: its contacts' customers "
    "take its company fields (see their history)"
)


def check_entity(system: str, entity: str) -> None:
    if system not in ENTITIES:
        raise BadRequest(f"system must be one of: crm, qbo (not {system!r})")
    if entity not in ENTITIES[system]:
        raise BadRequest(
            f"unknown {system} entity {entity!r}; accepted: "
            f"{', '.join(ENTITIES[system])}"
        )


async def resolve_tenant(console: Console, tenant: str) -> str:
    """The tenant named, or the only one there is."""
    if tenant:
        return tenant
    known = await documents.tenants(console.store.db)
    if len(known) == 1:
        return known[0]
    if not known:
        raise BadRequest("parameter 'tenant' is required (no tenant is connected)")
    raise BadRequest(f"parameter 'tenant' is required; tenants: {', '.join(known)}")


def state_json(state: RecordState) -> dict[str, Any]:
    return {"state": state.state, "detail": state.detail, "line": state.line()}


def _row(state: RecordState) -> dict[str, Any]:
    return {
        "system": state.system,
        "entity": state.entity,
        "external_id": state.external_id,
        "label": state.label,
        **state_json(state),
    }


# -- lookup ---------------------------------------------------------------------


async def find(
    console: Console,
    *,
    tenant: str,
    q: str = "",
    system: str = "",
    entity: str = "",
    state: str = "",
    kind: str = "",
    limit: int = 20,
) -> dict[str, Any]:
    """Records matching ``q`` (an id, an email or a name: ``kind`` says which,
    else each is tried), or every record in ``state`` when ``q`` is empty."""
    if entity and not system:
        raise BadRequest("parameter 'entity' needs 'system' (crm or qbo)")
    if system and entity:
        check_entity(system, entity)
    if not q and not state:
        raise BadRequest("give 'q' (an id, an email or a name) or 'state'")
    started = time.perf_counter()
    tenant = await resolve_tenant(console, tenant)
    db = console.store.db
    where = lookup.places(system, entity)
    candidates: list[tuple[str, str, str]] = []
    found_by = ""
    if q:
        docs: list[Document] = []
        for how in (kind,) if kind else lookup.QUERY_KINDS:
            if how == "id":
                docs = await lookup.by_id(db, tenant, q, where)
            elif how == "email" and (kind or lookup.looks_like_email(q)):
                docs = await lookup.by_email(db, tenant, q, where, limit)
            elif how == "name":
                docs = await lookup.by_name(db, tenant, q, where, limit)
            if docs:
                found_by = how
                break
        candidates = [(d["system"], d["entity"], d["external_id"]) for d in docs]
    else:
        candidates = await lookup.in_state(db, tenant, state, where, limit)
    rows = []
    for place in candidates:
        record_state = await read_state(db, tenant, *place)
        if state and record_state.state != state:
            continue
        rows.append(_row(record_state))
        if len(rows) >= limit:
            break
    return {
        "tenant": tenant,
        "q": q,
        "state": state,
        "found_by": found_by or None,
        "records": rows,
        "took_ms": round((time.perf_counter() - started) * 1000, 1),
    }


# -- one record -----------------------------------------------------------------


@dataclass(frozen=True)
class Live:
    """A record read now through its gateway, or why it could not be."""

    record: dict[str, Any] | None
    reason: str = ""


async def read_live(
    console: Console,
    tenant: str,
    system: str,
    entity: str,
    external_id: str,
    wait_seconds: float = LIVE_WAIT_SECONDS,
) -> Live:
    """The gateway's ``read`` request: the record as its system holds it now."""
    try:
        request = Request.model_validate(
            {
                "action": "read",
                "tenant": tenant,
                "entity": entity,
                "external_id": external_id,
            }
        )
    except ValidationError:
        return Live(None, "the gateways' requests have no 'read' action")
    try:
        answer = await ask(
            console.settings, GATEWAY[system], system, request, wait_seconds
        )
    except NoAnswer as exc:
        return Live(None, str(exc))
    except Exception as exc:  # the broker itself: the page still shows the mirror
        return Live(None, f"cannot ask the {GATEWAY[system]}: {exc}")
    if not answer.ok:
        return Live(None, answer.reason or "the gateway could not read it")
    record = getattr(answer, "record", None)
    if not isinstance(record, dict):
        return Live(None, "the gateway's answer carries no record")
    return Live(record)


async def _settings(console: Console, tenant: str) -> ConnectionSettings:
    stored = await documents.field_mapping_source(console.store.db, tenant)
    try:
        return ConnectionSettings.model_validate(stored or {})
    except ValidationError:
        return ConnectionSettings()  # the record's state says what is wrong


async def _sync_values(
    console: Console,
    tenant: str,
    kind: str,
    system: str,
    record: dict[str, Any] | None,
    fields: list[compare.Field],
) -> dict[str, Any]:
    """The record's synced values as the matcher compares them."""
    if record is None:
        return {}
    db = console.store.db
    if kind == "contact" and system == "crm":
        account_id = record.get("account_id")
        account = (
            await documents.mirror(db, tenant, "crm", "account", str(account_id))
            if account_id
            else None
        )
        usable = account is not None and not account.get("deleted")
        record = compare.with_account(
            record, (account or {}).get("record") if usable else None
        )
    if kind in DOCUMENT_KINDS and system == "qbo":
        record = await _in_crm_ids(console, tenant, record)
    return compare.project(record, system, fields)


async def _in_crm_ids(
    console: Console, tenant: str, document: dict[str, Any]
) -> dict[str, Any]:
    """A QuickBooks document's references in CRM ids (sync space); one that
    is not linked yet is left unknown."""
    db = console.store.db
    unknown = set(document.get(NOT_CARRIED) or ())
    translated = dict(document)
    if document.get("party_id"):
        party = await documents.crm_ids_of(
            db, tenant, "contact", [str(document["party_id"])]
        )
        translated["party_id"] = party[str(document["party_id"])]
        if translated["party_id"] is None:
            unknown.add("party_id")
    lines = [line for line in document.get("lines") or () if isinstance(line, dict)]
    products = [str(line["product_id"]) for line in lines if line.get("product_id")]
    if products:
        ids = await documents.crm_ids_of(db, tenant, "product", products)
        if any(value is None for value in ids.values()):
            unknown.add("lines")
        translated["lines"] = [
            {**line, "product_id": ids.get(str(line.get("product_id")))}
            for line in lines
        ]
    translated[NOT_CARRIED] = sorted(unknown)
    return translated


def _side(
    system: str, entity: str | None, external_id: str | None, mirror: Document | None
) -> dict[str, Any]:
    record = (mirror or {}).get("record")
    version = (mirror or {}).get("version") or {}
    return {
        "system": system,
        "name": SIDE_NAMES[system],
        "entity": entity,
        "external_id": external_id,
        "label": label_of(record),
        "seen": record is not None,
        "deleted": bool((mirror or {}).get("deleted")),
        "mirror_state": (mirror or {}).get("state"),
        "updated_at": str(version.get("updated_at")) if version else None,
        "record": record,
        "live": {"available": False, "reason": "not read", "record": None},
    }


def _link_json(link: Document | None) -> dict[str, Any] | None:
    if link is None:
        return None
    pending = [
        {
            "side": side,
            "fields": sorted((write or {}).get("fields") or {}),
            "create": bool((write or {}).get("create")),
            "at": (write or {}).get("at") or "",
        }
        for side, write in sorted((link.get("pending") or {}).items())
    ]
    return {
        "id": str(link["_id"]),
        "kind": link.get("kind"),
        "state": link.get("state"),
        "reason": link.get("reason"),
        "crm_id": link.get("crm_id"),
        "qbo_id": link.get("qbo_id"),
        "agreed_fields": sorted(link.get("base") or {}),
        "pending": pending,
    }


def _audit_json(entry: Document) -> dict[str, Any]:
    return {
        "at": entry.get("at"),
        "action": entry.get("action"),
        "direction": entry.get("direction"),
        "crm_id": entry.get("crm_id"),
        "qbo_id": entry.get("qbo_id"),
        "fields": list(entry.get("fields") or []),
        "before": entry.get("before") or {},
        "after": entry.get("after") or {},
        "conflicts": list(entry.get("conflicts") or []),
        "reason": entry.get("reason"),
    }


def _letter_json(letter: Document) -> dict[str, Any]:
    return {
        "id": str(letter["_id"]),
        "reason": letter.get("reason") or "",
        "error_class": letter.get("error_class"),
        "queue": letter.get("queue"),
        "occurrences": int(letter.get("occurrences") or 1),
        "first_failed_at": letter.get("first_failed_at"),
        "last_failed_at": letter.get("last_failed_at"),
    }


async def view(
    console: Console,
    *,
    tenant: str,
    system: str,
    entity: str,
    external_id: str,
    live: bool = True,
) -> dict[str, Any]:
    """Everything about one record: state, link, both sides (as the sync
    last saw them and, when the gateways answer, as they are now), the
    synced fields that differ, the pair's history, its open dead letters."""
    check_entity(system, entity)
    tenant = await resolve_tenant(console, tenant)
    db = console.store.db
    mirror = await documents.mirror(db, tenant, system, entity, external_id)
    link = await documents.link_of(db, tenant, system, entity, external_id)
    parked = await documents.parked(db, tenant, system, entity, external_id)
    letters = await documents.open_letters(db, tenant, system, entity, external_id)
    if mirror is None and link is None and parked is None and not letters:
        raise NotFound(
            f"{system} {entity} {external_id}: the sync has never seen it "
            f"(tenant {tenant!r})"
        )
    state = await read_state(db, tenant, system, entity, external_id)
    kind = kind_of(system, entity)
    other = OTHER[system]
    other_entity = documents.counterpart_entity(system, entity)
    other_id = (link or {}).get(f"{other}_id")
    other_mirror = (
        await documents.mirror(db, tenant, other, other_entity, str(other_id))
        if other_entity and other_id
        else None
    )
    sides = {
        system: _side(system, entity, external_id, mirror),
        other: _side(other, other_entity, other_id, other_mirror),
    }
    if live:
        await _read_both(console, tenant, sides)
    fields = await _field_rows(console, tenant, kind, link, sides)
    ids = {system: external_id, other: other_id}
    audit = await documents.history(db, tenant, kind, ids)
    return {
        "tenant": tenant,
        "system": system,
        "entity": entity,
        "external_id": external_id,
        "kind": kind,
        "label": state.label,
        "state": state_json(state),
        "link": _link_json(link),
        "parked": (
            {"waiting": list(parked.get("waiting") or []), "since": parked.get("since")}
            if parked
            else None
        ),
        "sides": sides,
        "fields": fields,
        "differs": [row["field"] for row in fields if row["differs"]],
        "history": [_audit_json(entry) for entry in audit],
        "dead_letters": [_letter_json(letter) for letter in letters],
    }


async def _read_both(
    console: Console, tenant: str, sides: dict[str, dict[str, Any]]
) -> None:
    """Both sides read now, at once; each keeps its mirror values if not."""
    wanted = [s for s in sides.values() if s["entity"] and s["external_id"]]
    reads = await asyncio.gather(
        *(
            read_live(console, tenant, s["system"], s["entity"], str(s["external_id"]))
            for s in wanted
        )
    )
    for side, got in zip(wanted, reads, strict=True):
        side["live"] = {
            "available": got.record is not None,
            "reason": got.reason,
            "record": got.record,
        }


async def _field_rows(
    console: Console,
    tenant: str,
    kind: str,
    link: Document | None,
    sides: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """The synced fields side by side, normalised; ``differs`` where both
    sides carry a field with values the matcher does not call equal."""
    if link is None or kind not in SYNC_FIELDS:
        return []
    settings = await _settings(console, tenant)
    fields = compare.synced_fields(
        kind, settings.mapping_for(kind), (link.get("base") or {}).keys()
    )
    seen = {
        s: await _sync_values(console, tenant, kind, s, sides[s]["record"], fields)
        for s in ("crm", "qbo")
    }
    live = {
        s: await _sync_values(
            console, tenant, kind, s, sides[s]["live"]["record"], fields
        )
        if sides[s]["live"]["available"]
        else None
        for s in ("crm", "qbo")
    }
    differ = set(compare.differing(seen["crm"], seen["qbo"]))
    live_differ = (
        set(compare.differing(live["crm"], live["qbo"]))
        if live["crm"] is not None and live["qbo"] is not None
        else None
    )
    rows = []
    for f in fields:
        row: dict[str, Any] = {"field": f.name, "differs": f.name in differ}
        for s in ("crm", "qbo"):
            row[s] = {"carried": f.name in seen[s], "value": seen[s].get(f.name)}
            now = live[s]
            row[f"{s}_live"] = (
                None
                if now is None
                else {"carried": f.name in now, "value": now.get(f.name)}
            )
        row["differs_live"] = None if live_differ is None else f.name in live_differ
        rows.append(row)
    return rows


# -- force sync -----------------------------------------------------------------


async def gateway_lookup(
    console: Console, tenant: str, system: str, entity: str, external_id: str
) -> str:
    """Ask the record's gateway that it exists; its label."""
    request = Request(
        action="lookup", tenant=tenant, entity=entity, external_id=external_id
    )
    try:
        answer = await ask(
            console.settings, GATEWAY[system], system, request, LOOKUP_WAIT_SECONDS
        )
    except NoAnswer as exc:
        raise Unavailable(f"{exc}; nothing was started") from exc
    if not answer.ok:
        raise NotFound(answer.reason)
    return answer.label or ""


async def sync_now(
    console: Console,
    *,
    tenant: str,
    system: str,
    entity: str,
    external_id: str,
    wait: float = 30.0,
) -> dict[str, Any]:
    """Ask the gateway that the record exists, request its force sync, then
    watch what the matcher records until an outcome or ``wait`` seconds."""
    check_entity(system, entity)
    tenant = await resolve_tenant(console, tenant)
    label = await gateway_lookup(console, tenant, system, entity, external_id)
    db = console.store.db
    before = await documents.mirror(db, tenant, system, entity, external_id)
    since = stored_now()
    started = time.perf_counter()
    try:
        await force_sync(console.bus, tenant, system, entity, external_id)
    except (ValueError, PermanentError) as exc:
        raise BadRequest(str(exc)) from exc
    if wait > 0:
        outcome = await _watch(
            console,
            tenant,
            system,
            entity,
            external_id,
            since=since,
            before_event=(before or {}).get("last_event"),
            deadline=started + wait,
        )
    else:
        outcome = Outcome("requested", "not waited for")
    state = await read_state(db, tenant, system, entity, external_id)
    return {
        "tenant": tenant,
        "system": system,
        "entity": entity,
        "external_id": external_id,
        "label": label or state.label,
        "outcome": outcome.outcome,
        "reason": outcome.reason,
        "fields": outcome.fields,
        "changed": outcome.changed,
        "direction": outcome.direction,
        "requested_at": since,
        "waited_seconds": round(time.perf_counter() - started, 2),
        "state": state_json(state),
        "message": message(outcome, state.line()),
    }


async def _watch(
    console: Console,
    tenant: str,
    system: str,
    entity: str,
    external_id: str,
    *,
    since: str,
    before_event: str | None,
    deadline: float,
) -> Outcome:
    db = console.store.db
    kind = kind_of(system, entity)
    other = OTHER[system]
    seen: Outcome | None = None
    while True:
        link = await documents.link_of(db, tenant, system, entity, external_id)
        ids = {system: external_id, other: (link or {}).get(f"{other}_id")}
        entries = await documents.audit_since(db, tenant, kind, ids, since)
        seen = from_audit(entries)
        if seen is not None and seen.final:
            return seen
        letters = await documents.open_letters(db, tenant, system, entity, external_id)
        failed = from_letters(letters, since)
        if failed is not None:
            return failed
        if entity == "account":
            mirror = await documents.mirror(db, tenant, system, entity, external_id)
            reread = mirror is not None and mirror.get("last_event") != before_event
            if reread and not (mirror or {}).get("forced"):
                return Outcome("unchanged", ACCOUNT_NOTE)
        if time.perf_counter() >= deadline:
            break
        await asyncio.sleep(POLL_SECONDS)
    if seen is not None:
        return seen
    state = await read_state(db, tenant, system, entity, external_id)
    return Outcome("still running", f"no outcome yet; {state.state} {state.detail}")


# -- links and parked documents ---------------------------------------------------


async def link_show(
    console: Console, *, tenant: str, system: str, entity: str, external_id: str
) -> dict[str, Any]:
    check_entity(system, entity)
    if entity == "account":
        raise BadRequest("an account has no link: it feeds its contacts' customers")
    link = await documents.link_of(
        console.store.db, tenant, system, entity, external_id
    )
    if link is None:
        raise NotFound(f"no link for {system} {entity} {external_id} ({tenant})")
    shown = _link_json(link)
    assert shown is not None
    return {
        **shown,
        "tenant": tenant,
        "base": link.get("base") or {},
        "markers": link.get("markers") or {},
        "outbox_event": (link.get("outbox") or {}).get("event"),
    }


async def parked_list(
    console: Console, *, tenant: str = "", limit: int = 200
) -> list[dict[str, Any]]:
    query = {"tenant": tenant} if tenant else {}
    cursor = console.store.db[PARKED].find(query).limit(limit)
    return [
        {
            "tenant": doc.get("tenant"),
            "system": doc.get("system"),
            "entity": doc.get("entity"),
            "external_id": doc.get("external_id"),
            "waiting": list(doc.get("waiting") or []),
            "since": doc.get("since"),
            "refetches": int(doc.get("refetches") or 0),
        }
        async for doc in cursor
    ]
