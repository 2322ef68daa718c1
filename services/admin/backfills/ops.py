"""Backfill runs: start one (after the gateway says the tenant is
connected), list them, and follow each entity's progress.

A run is recorded in ``backfill_runs`` when it starts
(common/operator/backfills.py). Progress comes from the cursors, which hold
only the latest run of each tenant, side and entity: an entity whose cursor
was taken over by a later run shows "superseded" (its own counts are gone),
one whose task has not been read yet shows "queued". An entity failed when
its backfill task is in the dead letters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from common.bus.dead_letters import DEAD_LETTERS
from common.bus.requests import NoAnswer, Request, ask
from common.connections import CONNECTIONS
from common.gateway.cursors import CURSORS
from common.operator.backfills import BACKFILL_ORDER, BACKFILL_RUNS, start_backfill
from common.store.times import from_stored
from services.admin.console import Console
from services.admin.http.errors import BadRequest, NotFound, Unavailable
from services.admin.http.params import SYSTEMS, day, system_and_entity

GATEWAY = {"crm": "crm_gateway", "qbo": "qbo_gateway"}
SIDE_NAMES = {"crm": "Zoho CRM", "qbo": "QuickBooks"}
ENDED = ("done", "failed", "superseded")


# -- starting -----------------------------------------------------------------
def validated(
    system: str, since: str | date, entities: Sequence[str] = ()
) -> tuple[date, tuple[str, ...]]:
    """The start date and the entities in backfill order, or BadRequest
    naming what is wrong (checked before anyone is asked anything)."""
    if system not in SYSTEMS:
        raise BadRequest(
            f"system must be one of: {', '.join(SYSTEMS)} (not {system!r})"
        )
    for entity in entities:
        system_and_entity(system, entity)
    start = since if isinstance(since, date) else day(since, "since")
    today = datetime.now(UTC).date()
    if start > today:
        raise BadRequest(f"since is in the future ({start}; today is {today})")
    order = BACKFILL_ORDER[system]
    chosen = dict.fromkeys(entities)  # each once
    ranked = sorted(chosen, key=lambda e: order.index(e) if e in order else len(order))
    return start, tuple(ranked)


async def start_run(
    console: Console,
    tenant: str,
    system: str,
    since: str | date,
    entities: Sequence[str],
    started_by: str,
) -> dict[str, Any]:
    """Start a backfill once the gateway says it can read ``tenant``; the run."""
    start, chosen = validated(system, since, entities)
    try:
        answer = await ask(
            console.settings,
            GATEWAY[system],
            system,
            Request(action="check", tenant=tenant),
        )
    except NoAnswer as exc:
        raise Unavailable(f"{exc}; nothing was started") from exc
    if not answer.ok:
        raise BadRequest(answer.reason)
    run_id = await start_backfill(
        console.bus,
        tenant,
        system,
        start,
        chosen,
        store=console.store,
        started_by=started_by,
    )
    return await get_run(console, run_id)


async def connected_tenants(console: Console) -> list[str]:
    """Tenants with at least one active side: those a backfill can read."""
    tenants = []
    async for document in console.store.db[CONNECTIONS].find({}):
        sides = (document.get("crm"), document.get("qbo"))
        if any(side and side.get("status", "active") == "active" for side in sides):
            tenants.append(str(document["_id"]))
    return sorted(tenants)


# -- following ------------------------------------------------------------------
async def list_runs(
    console: Console, tenant: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Runs, newest first, each with its entities' progress."""
    query = {"tenant": tenant} if tenant else {}
    runs = [
        run
        async for run in console.store.db[BACKFILL_RUNS]
        .find(query)
        .sort("started_at", -1)
        .limit(limit)
    ]
    return await _with_progress(console, runs)


async def get_run(console: Console, run_id: str) -> dict[str, Any]:
    run = await console.store.db[BACKFILL_RUNS].find_one({"_id": run_id})
    if run is None:
        raise NotFound(f"no backfill run {run_id!r}")
    return (await _with_progress(console, [run]))[0]


async def _with_progress(
    console: Console, runs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    if not runs:
        return []
    tenants = sorted({run["tenant"] for run in runs})
    cursors = {
        (cursor["tenant"], cursor["system"], cursor["entity"]): cursor
        async for cursor in console.store.db[CURSORS].find(
            {"tenant": {"$in": tenants}, "kind": "backfill"}
        )
    }
    queues = _backfill_queues(console)
    failures = [
        letter
        async for letter in console.store.db[DEAD_LETTERS].find(
            {"tenant": {"$in": tenants}, "queue": {"$in": sorted(queues)}}
        )
        if not letter.get("external_id")  # a refused record is not the task
    ]
    now = datetime.now(UTC)
    return [run_progress(run, cursors, failures, now) for run in runs]


def _backfill_queues(console: Console) -> set[str]:
    """The gateways' backfill queues, as a dead letter may name them."""
    bases = {f"{service}.backfill" for service in GATEWAY.values()}
    return bases | {console.bus.names.queue(base) for base in bases}


def run_progress(
    run: dict[str, Any],
    cursors: dict[tuple[str, str, str], dict[str, Any]],
    failures: Iterable[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """A run as the API shows it: what was asked, and each entity's progress."""
    tenant, system = run["tenant"], run["system"]
    letters = [letter for letter in failures if _of_run(letter, run)]
    entities = [
        entity_progress(
            run,
            entity,
            cursors.get((tenant, system, entity)),
            [letter for letter in letters if letter.get("entity") == entity],
            now,
        )
        for entity in run["entities"]
    ]
    return {
        "id": run["_id"],
        "tenant": tenant,
        "system": system,
        "since": run["since"],
        "started_at": run["started_at"],
        "started_by": run.get("started_by") or "",
        "status": _run_status([entity["status"] for entity in entities]),
        "entities": entities,
    }


def _run_status(statuses: Sequence[str]) -> str:
    """failed as soon as one entity failed (a person should look), running
    while any is queued or running, else done (superseded counts as ended)."""
    if "failed" in statuses:
        return "failed"
    if any(status not in ENDED for status in statuses):
        return "running"
    return "done"


def _of_run(letter: dict[str, Any], run: dict[str, Any]) -> bool:
    """A dead backfill task of this run: its payload names the run; a body
    that cannot be read counts if it failed after the run started."""
    if letter.get("system") != run["system"]:
        return False
    try:
        body = json.loads(letter.get("body") or "")
        named = body["payload"]["run_id"]
    except (ValueError, KeyError, TypeError):
        named = None
    if named:
        return bool(named == run["_id"])
    return str(letter.get("last_failed_at") or "") >= str(run["started_at"])


def entity_progress(
    run: dict[str, Any],
    entity: str,
    cursor: dict[str, Any] | None,
    letters: Sequence[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    progress: dict[str, Any] = {
        "entity": entity,
        "status": "queued",
        "pages": 0,
        "published": 0,
        "total": None,
        "percent": None,
        "rate": None,
        "eta_seconds": None,
        "started_at": None,
        "finished_at": None,
        "reason": None,
        "superseded_by": None,
    }
    ours = cursor is not None and cursor.get("run_id") == run["_id"]
    if cursor is not None and not ours and _later(cursor, run):
        progress["status"] = "superseded"
        progress["superseded_by"] = str(cursor.get("run_id"))
        return progress
    if cursor is not None and ours:
        progress.update(_counts(cursor, now))
    if progress["status"] != "done" and letters:
        newest = max(letters, key=lambda letter: str(letter["last_failed_at"]))
        progress.update(status="failed", reason=newest["reason"], eta_seconds=None)
    return progress


def _later(cursor: dict[str, Any], run: dict[str, Any]) -> bool:
    """The cursor was taken by a run started after this one (an earlier run's
    cursor only means this run has not reached the entity yet)."""
    return str(cursor.get("started_at") or "") >= str(run["started_at"])


def _counts(cursor: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Pages, records, rate and ETA of an entity the run has reached."""
    published = int(cursor.get("published") or 0)
    total = cursor.get("total")
    if total is not None and published > total:
        # The total is counted when the entity starts; records made while it
        # runs (by people, or by the sync itself) are read too.
        total = published
    done = cursor.get("status") == "done"
    started = from_stored(cursor["started_at"])
    finished = from_stored(cursor["finished_at"]) if cursor.get("finished_at") else None
    elapsed = ((finished or now) - started).total_seconds()
    rate = published / elapsed if elapsed > 0 else None
    eta = None
    if not done and total is not None and rate:
        eta = round((total - published) / rate)
    percent = None
    if done:
        percent = 100.0
    elif total:
        percent = round(100 * published / total, 1)
    return {
        "status": "done" if done else "running",
        "pages": int(cursor.get("page") or 0),
        "published": published,
        "total": total,
        "percent": percent,
        "rate": None if rate is None else round(rate, 1),
        "eta_seconds": eta,
        "started_at": cursor["started_at"],
        "finished_at": cursor.get("finished_at"),
    }
