"""syncctl's `backfill` topic: start a run, follow the runs and entities.

syncctl backfill start --tenant T --system crm|qbo [--since 2000-01-01]
                       [--entity E ...]
syncctl backfill status [--tenant T] [--json]
syncctl backfill runs [--tenant T] [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from common.gateway.cursors import Cursors
from common.settings import Settings
from services.admin.backfills import ops
from services.admin.backfills.pages import duration
from services.admin.console import open_console
from services.admin.http.errors import BadRequest
from services.admin.operations import backfill_progress

EXIT_USAGE = 2  # argparse's own code for a malformed command line


def commands(
    topics: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    backfill = topics.add_parser("backfill", help="pull history in, with progress")
    actions = backfill.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="read every record since a date")
    start.add_argument("--tenant", required=True)
    start.add_argument("--system", required=True, choices=("crm", "qbo"))
    start.add_argument("--since", type=_date, default=date(2000, 1, 1))
    start.add_argument(
        "--entity", action="append", default=[], help="repeat for several"
    )
    start.set_defaults(run=_start)
    status = actions.add_parser("status", help="progress of each entity's backfill")
    status.add_argument("--tenant")
    status.add_argument("--json", action="store_true", help="one JSON object a line")
    status.set_defaults(run=_status)
    runs = actions.add_parser("runs", help="backfill runs, newest first")
    runs.add_argument("--tenant")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--json", action="store_true", help="one JSON object a line")
    runs.set_defaults(run=_runs)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD)"
        ) from None


async def _start(options: argparse.Namespace, settings: Settings) -> int:
    try:  # a malformed command line: before anything is opened or asked
        ops.validated(options.system, options.since, options.entity)
    except BadRequest as exc:
        print(f"syncctl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    async with open_console(settings) as console:
        run = await ops.start_run(
            console,
            options.tenant,
            options.system,
            options.since,
            options.entity,
            started_by="syncctl",
        )
    entities = ", ".join(entity["entity"] for entity in run["entities"])
    print(
        f"backfill {run['id']} started for {options.tenant} "
        f"({ops.SIDE_NAMES[options.system]}: {entities}); "
        "follow it with `syncctl backfill status`"
    )
    return 0


async def _status(options: argparse.Namespace, settings: Settings) -> int:
    async with open_console(settings) as console:
        rows = await backfill_progress(Cursors(console.store), options.tenant)
    for row in rows:
        if options.json:
            print(json.dumps(row, default=str))
            continue
        share = f"{row['percent']}%" if row["percent"] is not None else "?"
        total = row["total"] if row["total"] is not None else "?"
        print(
            f"{row['tenant']}  {row['system']}.{row['entity']:9} {row['status']:8} "
            f"{row['published']}/{total} ({share})"
        )
    if not rows and not options.json:
        print("no backfill has run yet")
    return 0


async def _runs(options: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= options.limit <= 200:
        raise BadRequest("--limit must be between 1 and 200")
    async with open_console(settings) as console:
        runs = await ops.list_runs(console, options.tenant, options.limit)
    for run in runs:
        if options.json:
            print(json.dumps(run))
            continue
        print(
            f"{run['id']}  {run['started_at']}  {run['tenant']}  "
            f"{ops.SIDE_NAMES[run['system']]} since {run['since']}  "
            f"by {run['started_by'] or '?'}  {run['status']}"
        )
        for entity in run["entities"]:
            print(f"    {entity['entity']:9} {_entity_line(entity)}")
    if not runs and not options.json:
        print("no backfill has run yet")
    return 0


def _entity_line(entity: dict[str, Any]) -> str:
    status = entity["status"]
    if status == "queued":
        return "queued"
    if status == "superseded":
        return f"superseded by {entity['superseded_by']}"
    total = entity["total"] if entity["total"] is not None else "?"
    pages = entity["pages"]
    line = f"{status:8} {entity['published']}/{total} ({pages} page"
    line += ")" if pages == 1 else "s)"
    if entity["rate"] is not None:
        line += f"  {entity['rate']}/s"
    if entity["eta_seconds"] is not None:
        line += f"  about {duration(entity['eta_seconds'])} left"
    if status == "failed":
        line += f"  failed: {entity['reason']}"
    return line
