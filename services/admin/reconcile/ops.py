"""Reconcile runs: read both sides of one pair kind and the matcher's links,
report what is missing on a side and which linked fields differ. Writes
nothing anywhere but its own run document.

Each side is read through its gateway's ``page`` requests (the gateway
paces its calls per tenant, in the bulk lane, so a reconcile never delays a
live sync); the links straight from ``matcher_links`` (layout in
services/matcher/model.py). A run is a ``reconcile_runs`` document, updated
after every page (pages and records read per side), and holding the
findings once done (services/admin/reconcile/compare.py decides them).

The console starts a run in the background (``start_run``); syncctl runs it
inline (``run_now``). A gateway that is not running or does not answer a
page within ``PAGE_WAIT`` fails the run with that reason. A run whose
document has not moved for ``STALE_SECONDS`` (its process stopped) shows as
failed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import structlog

from common.bus.requests import MAX_PAGE_SIZE, NoAnswer, Request, ask
from common.connection_settings import ConnectionSettings
from common.connections import CONNECTIONS
from common.settings import Settings
from common.store.times import from_stored, stored_now
from services.admin.console import Console
from services.admin.http.errors import BadRequest, NotFound
from services.admin.reconcile import compare
from services.admin.reconcile.compare import Item, LinkView, Pair, References

log = structlog.get_logger(__name__)

RUNS = "reconcile_runs"
LINKS = "matcher_links"
GATEWAY = {"crm": "crm_gateway", "qbo": "qbo_gateway"}
SIDE_NAMES = {"crm": "Zoho CRM", "qbo": "QuickBooks"}
SIDES = ("crm", "qbo")
# Zoho documents come with their lines one record a call: smaller pages
# answer well within the wait.
DOCUMENT_PAGE_SIZE = 50
PAGE_WAIT = 120.0  # seconds a gateway has to answer one page
STALE_SECONDS = 600.0
MAX_FINDINGS = 10_000  # kept in the run document (far below its 16 MB)
MAX_TENANT = 64

# (side, pages read, records read) after each page
OnPage = Callable[[str, int, int], Awaitable[None]]


class RunFailed(Exception):
    """A side could not be read; the reason is shown on the run."""


# -- starting --------------------------------------------------------------------
def validated(tenant: str, entity: str) -> Pair:
    if not tenant or len(tenant) > MAX_TENANT:
        raise BadRequest(f"tenant must be 1 to {MAX_TENANT} characters")
    try:
        return compare.pair_of(entity)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


# Runs started by this process, kept referenced until they end.
_BACKGROUND: set[asyncio.Task[None]] = set()


async def start_run(
    console: Console, tenant: str, entity: str, started_by: str
) -> dict[str, Any]:
    """Record a run and read it in the background; the run as started."""
    pair = validated(tenant, entity)
    run_id = await _create(console, tenant, entity, pair, started_by)
    task = asyncio.create_task(execute(console, run_id, tenant, pair))
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
    return await get_run(console, run_id)


async def run_now(
    console: Console,
    tenant: str,
    entity: str,
    started_by: str,
    on_page: OnPage | None = None,
) -> dict[str, Any]:
    """Record a run and read it here and now; the run when it ended."""
    pair = validated(tenant, entity)
    run_id = await _create(console, tenant, entity, pair, started_by)
    await execute(console, run_id, tenant, pair, on_page)
    return await get_run(console, run_id)


async def _create(
    console: Console, tenant: str, entity: str, pair: Pair, started_by: str
) -> str:
    run_id = uuid.uuid4().hex[:16]
    now = stored_now()
    await console.store.db[RUNS].insert_one(
        {
            "_id": run_id,
            "tenant": tenant,
            "entity": entity,
            "kind": pair.kind,
            "crm_entity": pair.crm,
            "qbo_entity": pair.qbo,
            "status": "running",
            "reason": None,
            "started_by": started_by,
            "started_at": now,
            "updated_at": now,
            "finished_at": None,
            "sides": {
                side: {"pages": 0, "records": 0, "done": False} for side in SIDES
            },
            "links": None,
            "counts": None,
            "findings": None,
            "truncated": False,
        }
    )
    return run_id


# -- running ---------------------------------------------------------------------
async def execute(
    console: Console,
    run_id: str,
    tenant: str,
    pair: Pair,
    on_page: OnPage | None = None,
) -> None:
    """Read, compare, store the findings; a failure is stored, never raised."""
    runs = console.store.db[RUNS]

    async def progress(side: str, pages: int, records: int) -> None:
        await runs.update_one(
            {"_id": run_id},
            {
                "$set": {
                    f"sides.{side}.pages": pages,
                    f"sides.{side}.records": records,
                    "updated_at": stored_now(),
                }
            },
        )
        if on_page is not None:
            await on_page(side, pages, records)

    try:
        findings, links = await reconcile(
            console.settings, console.store.db, tenant, pair, progress
        )
    except asyncio.CancelledError:
        await asyncio.shield(_fail(runs, run_id, "the reconcile was stopped"))
        raise
    except RunFailed as exc:
        await _fail(runs, run_id, str(exc))
        return
    except Exception as exc:  # shown on the run; the console goes on
        log.exception("reconcile_failed", run_id=run_id)
        await _fail(runs, run_id, f"{type(exc).__name__}: {exc}")
        return
    wired = [finding.wire() for finding in findings]
    now = stored_now()
    await runs.update_one(
        {"_id": run_id},
        {
            "$set": {
                "status": "done",
                "updated_at": now,
                "finished_at": now,
                "sides.crm.done": True,
                "sides.qbo.done": True,
                "links": links,
                "counts": compare.counts(wired),
                "findings": wired[:MAX_FINDINGS],
                "truncated": len(wired) > MAX_FINDINGS,
            }
        },
    )


async def _fail(runs: Any, run_id: str, reason: str) -> None:
    now = stored_now()
    await runs.update_one(
        {"_id": run_id},
        {
            "$set": {
                "status": "failed",
                "reason": reason,
                "updated_at": now,
                "finished_at": now,
            }
        },
    )


async def reconcile(
    settings: Settings, db: Any, tenant: str, pair: Pair, on_page: OnPage
) -> tuple[list[compare.Finding], int]:
    """The findings of one pair kind, and how many links were read."""
    links = [
        LinkView.of(doc)
        async for doc in db[LINKS].find({"tenant": tenant, "kind": pair.kind})
    ]
    references = (
        await _references(db, tenant)
        if pair.kind in compare.DOCUMENTS
        else compare.NO_REFERENCES
    )
    mapping = (await _settings(db, tenant)).mapping_for(pair.kind)
    try:  # both sides at once; one failing stops the other
        async with asyncio.TaskGroup() as group:
            crm = group.create_task(
                read_side(settings, tenant, "crm", pair.crm, on_page)
            )
            qbo = group.create_task(
                read_side(settings, tenant, "qbo", pair.qbo, on_page)
            )
    except ExceptionGroup as failures:
        first = failures.exceptions[0]
        raise first if isinstance(first, Exception) else failures from None
    found = compare.reconcile(
        pair, crm.result(), qbo.result(), links, mapping, references
    )
    return found, len(links)


async def read_side(
    settings: Settings, tenant: str, system: str, entity: str, on_page: OnPage
) -> list[Item]:
    """Every record of one side's entity, page by page through its gateway."""
    size = (
        DOCUMENT_PAGE_SIZE
        if system == "crm" and entity in compare.DOCUMENTS
        else MAX_PAGE_SIZE
    )
    items: list[Item] = []
    cursor: str | None = None
    pages = 0
    while True:
        request = Request(
            action="page", tenant=tenant, entity=entity, cursor=cursor, page_size=size
        )
        try:
            answer = await ask(settings, GATEWAY[system], system, request, PAGE_WAIT)
        except NoAnswer as exc:
            raise RunFailed(f"{SIDE_NAMES[system]}: {exc}") from exc
        if not answer.ok:
            raise RunFailed(f"{SIDE_NAMES[system]}: {answer.reason}")
        pages += 1
        items += [Item.of(wired) for wired in answer.records or ()]
        await on_page(system, pages, len(items))
        if answer.next_cursor is None:
            return items
        cursor = answer.next_cursor


async def _references(db: Any, tenant: str) -> References:
    """QBO customer/item id → CRM contact/product id, from complete links."""
    tables: dict[str, dict[str, str]] = {"contact": {}, "product": {}}
    query = {"tenant": tenant, "kind": {"$in": sorted(tables)}}
    async for doc in db[LINKS].find(query):
        if doc.get("crm_id") and doc.get("qbo_id"):
            tables[doc["kind"]][str(doc["qbo_id"])] = str(doc["crm_id"])
    return References(tables["contact"], tables["product"])


async def _settings(db: Any, tenant: str) -> ConnectionSettings:
    doc = await db[CONNECTIONS].find_one({"_id": tenant}, {"settings": 1})
    try:
        return ConnectionSettings.model_validate((doc or {}).get("settings") or {})
    except ValueError as exc:
        raise RunFailed(f"the settings of connection {tenant!r} are invalid") from exc


# -- reading runs ------------------------------------------------------------------
async def get_run(console: Console, run_id: str) -> dict[str, Any]:
    """The run with its findings (None until it is done)."""
    doc = await console.store.db[RUNS].find_one({"_id": run_id})
    if doc is None:
        raise NotFound(f"no reconcile run {run_id!r}")
    return view(doc, datetime.now(UTC))


async def list_runs(
    console: Console, tenant: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Recent runs, newest first, without their findings."""
    query = {"tenant": tenant} if tenant else {}
    now = datetime.now(UTC)
    return [
        view(doc, now, findings=False)
        async for doc in console.store.db[RUNS]
        .find(query, {"findings": 0})
        .sort("started_at", -1)
        .limit(limit)
    ]


def view(
    doc: Mapping[str, Any], now: datetime, findings: bool = True
) -> dict[str, Any]:
    """A run as the API shows it; one whose process stopped shows as failed."""
    status, reason = doc["status"], doc.get("reason")
    updated = from_stored(doc["updated_at"])
    if status == "running" and (now - updated).total_seconds() > STALE_SECONDS:
        status = "failed"
        reason = "abandoned: the process running it stopped"
    shown: dict[str, Any] = {
        "id": doc["_id"],
        "tenant": doc["tenant"],
        "entity": doc["entity"],
        "kind": doc["kind"],
        "crm_entity": doc["crm_entity"],
        "qbo_entity": doc["qbo_entity"],
        "status": status,
        "reason": reason,
        "started_by": doc.get("started_by") or "",
        "started_at": doc["started_at"],
        "updated_at": doc["updated_at"],
        "finished_at": doc.get("finished_at"),
        "sides": {side: _side(doc["sides"][side]) for side in SIDES},
        "links": doc.get("links"),
        "counts": doc.get("counts"),
        "truncated": bool(doc.get("truncated")),
    }
    if findings:
        shown["findings"] = doc.get("findings")
    return shown


def _side(read: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "pages": int(read.get("pages") or 0),
        "records": int(read.get("records") or 0),
        "done": bool(read.get("done")),
    }


def progress_line(run: Mapping[str, Any]) -> str:
    """``Zoho CRM contact: 3 pages, 512 records; QuickBooks customer: …``"""
    parts = []
    for side in SIDES:
        read = run["sides"][side]
        entity = run[f"{side}_entity"]
        pages = read["pages"]
        parts.append(
            f"{SIDE_NAMES[side]} {entity}: {pages} page{'' if pages == 1 else 's'}, "
            f"{read['records']} records"
        )
    return "; ".join(parts)


def findings_csv(run: Mapping[str, Any]) -> str:
    """The findings as CSV, one line each, with a header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(compare.CSV_COLUMNS)
    for finding in run.get("findings") or ():
        writer.writerow([_cell(finding.get(column)) for column in compare.CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (a
    record's name is anyone's text); a negative amount stays a number."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "@", "\t", "\r") or (
        text[:1] == "-" and not _is_number(text)
    ):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


async def tenants(console: Console) -> list[str]:
    """The tenants with a connection: those a reconcile can read."""
    return sorted(
        [str(doc["_id"]) async for doc in console.store.db[CONNECTIONS].find({}, {})]
    )
