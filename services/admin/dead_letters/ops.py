"""Dead letters for a person: grouped by cause, each naming its record, with
replay and discard of one, a selection or a whole group, and each replay's
outcome once it is known. Shared by the API, the page and syncctl.

Replay goes through ``DeadLetters.replay``, one letter at a time, so its
guarantees hold: the republish is confirmed before the letter is removed,
and a failure recorded meanwhile keeps the letter open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from common.bus.dead_letters import DEAD_LETTERS
from services.admin.console import Console
from services.admin.dead_letters.causes import group_key, key_of
from services.admin.dead_letters.replays import Outcome, Replays, new_replay
from services.admin.dead_letters.secrets import masked_body, masked_text
from services.admin.http.errors import BadRequest, NotFound

SIDES = {"crm": "Zoho CRM", "qbo": "QuickBooks"}
# Each entity as the person sees it in that side's own screens.
MODULES = {
    ("crm", "contact"): "Contacts",
    ("crm", "account"): "Accounts",
    ("crm", "product"): "Products",
    ("crm", "invoice"): "Invoices",
    ("crm", "quote"): "Quotes",
    ("crm", "vendor"): "Vendors",
    ("qbo", "customer"): "Customer",
    ("qbo", "item"): "Item",
    ("qbo", "invoice"): "Invoice",
    ("qbo", "estimate"): "Estimate",
    ("qbo", "vendor"): "Vendor",
}
ERROR_CLASSES = ("permanent", "retriable")
# Grouping reads the letters' subjects and reasons (never their bodies);
# open letters are one per failing record, so this is plenty.
SCAN_LIMIT = 5000
SUMMARY_FIELDS = {"body": 0, "replay_token": 0}
MAX_SELECTION = 1000


def item_of(letter: Mapping[str, Any]) -> dict[str, Any]:
    """One letter as a person reads it: the record first, then why."""
    system = str(letter.get("system") or "")
    entity = str(letter.get("entity") or "")
    return {
        "id": str(letter["_id"]),
        "tenant": letter.get("tenant"),
        "system": system or None,
        "side": SIDES.get(system),
        "entity": entity or None,
        "module": MODULES.get((system, entity), entity or None),
        "external_id": letter.get("external_id") or None,
        "label": letter.get("label"),
        "reason": masked_text(str(letter.get("reason") or "")),
        "error_class": str(letter.get("error_class") or ""),
        "queue": str(letter.get("queue") or ""),
        "routing_key": str(letter.get("routing_key") or ""),
        "occurrences": int(letter.get("occurrences") or 1),
        "first_failed_at": str(letter.get("first_failed_at") or ""),
        "last_failed_at": str(letter.get("last_failed_at") or ""),
    }


def record_name(item: Mapping[str, Any]) -> str:
    """``Zoho CRM Contacts 123 (Ann Lee <ann@x.example>)``."""
    if not item.get("side"):
        return "no record named"
    parts = [item["side"], item.get("module") or "", item.get("external_id") or ""]
    named = f" ({item['label']})" if item.get("label") else ""
    return " ".join(part for part in parts if part) + named


async def groups(
    console: Console,
    *,
    tenant: str = "",
    system: str = "",
    entity: str = "",
    error_class: str = "",
    limit: int = 50,
) -> dict[str, Any]:
    """The matching letters grouped by cause, the newest group first; each
    group lists at most ``limit`` items (newest first) and counts them all."""
    where = {
        "tenant": tenant,
        "system": system,
        "entity": entity,
        "error_class": error_class,
    }
    letters = await _letters(
        console, {key: value for key, value in where.items() if value}
    )
    by_key: dict[str, dict[str, Any]] = {}
    for letter in letters:  # newest first
        error, queue, cause = key_of(letter)
        key = group_key(error, queue, cause)
        group = by_key.setdefault(
            key,
            {
                "key": key,
                "cause": cause,
                "error_class": error,
                "queue": queue,
                "count": 0,
                "newest": str(letter.get("last_failed_at") or ""),
                "items": [],
            },
        )
        group["count"] += 1
        if len(group["items"]) < limit:
            group["items"].append(item_of(letter))
    return {
        "groups": list(by_key.values()),
        "total": len(letters),
        "truncated": len(letters) >= SCAN_LIMIT,
    }


async def _letters(console: Console, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    cursor = (
        console.store.db[DEAD_LETTERS]
        .find(dict(query), SUMMARY_FIELDS)
        .sort("last_failed_at", -1)
        .limit(SCAN_LIMIT)
    )
    return [letter async for letter in cursor]


async def one(console: Console, letter_id: str) -> dict[str, Any]:
    """One letter whole: its record, why, and the message a replay sends
    (credentials masked)."""
    letter = await console.dead_letters.get(letter_id)
    if letter is None:
        raise NotFound(f"no dead letter {letter_id!r} (replayed or discarded?)")
    error, queue, cause = key_of(letter)
    return {
        **item_of(letter),
        "group": group_key(error, queue, cause),
        "cause": cause,
        "error_type": letter.get("error_type"),
        "attempts": letter.get("attempts"),
        "event_id": letter.get("event_id"),
        "body": masked_body(str(letter.get("body") or "")),
    }


async def selected(
    console: Console, ids: Sequence[str] | None, group: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The letters a request names (ids, or every letter of a group), and
    the ids that name none."""
    if ids is not None and group is not None:
        raise BadRequest('give either "ids" or "group", not both')
    if ids is None and group is None:
        raise BadRequest(
            'nothing selected: give "ids" (the dead letters to act on) '
            'or "group" (a group\'s key)'
        )
    if group is not None:
        found = [
            letter
            for letter in await _letters(console, {})
            if group_key(*key_of(letter)) == group
        ]
        if not found:
            raise NotFound(f"no dead letters in group {group!r} (any more)")
        return found, []
    wanted = list(dict.fromkeys(ids or ()))  # once each, in the order given
    if not wanted:
        raise BadRequest('"ids" is empty: select at least one dead letter')
    if len(wanted) > MAX_SELECTION:
        raise BadRequest(f'"ids" names more than {MAX_SELECTION} dead letters')
    cursor = console.store.db[DEAD_LETTERS].find(
        {"_id": {"$in": wanted}}, SUMMARY_FIELDS
    )
    found_by_id = {str(letter["_id"]): letter async for letter in cursor}
    letters = [found_by_id[i] for i in wanted if i in found_by_id]
    return letters, [i for i in wanted if i not in found_by_id]


async def replay(
    console: Console,
    *,
    ids: Sequence[str] | None = None,
    group: str | None = None,
    by: str,
) -> dict[str, Any]:
    """Replay each named letter; remember each replay so its outcome can be
    followed (``replays``)."""
    letters, unknown = await selected(console, ids, group)
    results = [_unknown(letter_id) for letter_id in unknown]
    remembered = []
    for letter in letters:
        at = datetime.now(UTC)  # before the publish: a quick failure is after
        if await console.dead_letters.replay(str(letter["_id"])):
            replayed = new_replay(letter, by, at)
            remembered.append(replayed)
            results.append(
                {"id": str(letter["_id"]), "done": True, "replay": replayed["_id"]}
            )
        else:  # replayed or discarded by someone else meanwhile
            results.append(_unknown(str(letter["_id"])))
    await Replays(console.store.db).remember(remembered)
    return _answer("replayed", results)


async def discard(
    console: Console, *, ids: Sequence[str] | None = None, group: str | None = None
) -> dict[str, Any]:
    letters, unknown = await selected(console, ids, group)
    results = [_unknown(letter_id) for letter_id in unknown]
    for letter in letters:
        letter_id = str(letter["_id"])
        if await console.dead_letters.discard(letter_id):
            results.append({"id": letter_id, "done": True})
        else:
            results.append(_unknown(letter_id))
    return _answer("discarded", results)


def _unknown(letter_id: str) -> dict[str, Any]:
    return {"id": letter_id, "done": False, "error": "no such dead letter"}


def _answer(verb: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    done = sum(1 for result in results if result["done"])
    missing = [result["id"] for result in results if not result["done"]]
    message = f"{verb} {done} dead letter{'' if done == 1 else 's'}"
    if missing:
        message += f"; not found: {', '.join(missing)}"
    return {"message": message, verb: done, "results": results}


async def replays(
    console: Console, ids: Sequence[str] = (), *, tenant: str = "", limit: int = 20
) -> list[dict[str, Any]]:
    """These replays, else the newest ones, each with its outcome now."""
    store = Replays(console.store.db)
    found = await store.find(ids, tenant=tenant, limit=limit)
    return [_replay_view(replay, await store.outcome(replay)) for replay in found]


def _replay_view(replay: Mapping[str, Any], outcome: Outcome) -> dict[str, Any]:
    item = item_of({**replay, "_id": replay["dead_letter_id"], "last_failed_at": None})
    record = outcome.record
    return {
        "id": str(replay["_id"]),
        "dead_letter_id": item["id"],
        "tenant": item["tenant"],
        "side": item["side"],
        "system": item["system"],
        "entity": item["entity"],
        "module": item["module"],
        "external_id": item["external_id"],
        "label": item["label"],
        "record": record_name(item),
        "replayed_at": str(replay["replayed_at"]),
        "by": str(replay.get("by") or ""),
        "outcome": outcome.outcome,
        "settled": outcome.settled,
        "reason": masked_text(outcome.reason) if outcome.reason else None,
        "record_state": None
        if record is None
        else {"state": record.state, "detail": record.detail, "line": record.line()},
    }


def describe(replay: Mapping[str, Any]) -> str:
    """One replay's outcome in one line."""
    said = str(replay["outcome"])
    if replay["reason"]:
        said += f": {replay['reason']}"
    elif replay["record_state"]:
        state = replay["record_state"]
        said += f": record {state['state']}"
        said += f" {state['detail']}" if state["detail"] else ""
    return said
