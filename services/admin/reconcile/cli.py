"""syncctl's `reconcile` topic: run a reconcile here and now.

syncctl reconcile ENTITY --tenant T [--json] [--csv FILE]

ENTITY is either side's name of the pair (contact or customer, ...). The
reconcile runs inline (not through the admin service) and is recorded like
one the console started. Progress goes to stderr, one line a page; the
findings to stdout (one line each, or one JSON object a line with --json),
and with --csv also to FILE. Exit 0 when the run ended (whatever it found),
1 when it failed (a gateway not running, a tenant not connected).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from common.settings import Settings
from services.admin.console import open_console
from services.admin.reconcile import ops
from services.admin.reconcile.compare import ENTITY_NAMES


def commands(
    topics: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    reconcile = topics.add_parser(
        "reconcile",
        help="compare both sides of a pair: missing records, differing fields",
    )
    reconcile.add_argument(
        "entity",
        choices=ENTITY_NAMES,
        metavar="ENTITY",
        help=f"either side's name of the pair: {', '.join(ENTITY_NAMES)}",
    )
    reconcile.add_argument("--tenant", required=True)
    reconcile.add_argument(
        "--json", action="store_true", help="findings as one JSON object a line"
    )
    reconcile.add_argument(
        "--csv", type=Path, metavar="FILE", help="also write the findings here as CSV"
    )
    reconcile.set_defaults(run=_reconcile)


async def _reconcile(options: argparse.Namespace, settings: Settings) -> int:
    ops.validated(options.tenant, options.entity)  # before anything is opened

    async def on_page(side: str, pages: int, records: int) -> None:
        print(
            f"{ops.SIDE_NAMES[side]}: {pages} page{'' if pages == 1 else 's'}, "
            f"{records} records read",
            file=sys.stderr,
        )

    async with open_console(settings) as console:
        run = await ops.run_now(
            console, options.tenant, options.entity, "syncctl", on_page
        )
    if run["status"] != "done":
        print(
            f"syncctl: reconcile {run['id']} failed: {run['reason']}", file=sys.stderr
        )
        return 1
    findings: list[dict[str, Any]] = run["findings"] or []
    for finding in findings:
        print(json.dumps(finding) if options.json else _line(finding))
    if options.csv is not None:
        options.csv.write_text(ops.findings_csv(run), encoding="utf-8")
    counts = ", ".join(f"{name} {count}" for name, count in run["counts"].items())
    print(
        f"reconcile {run['id']}: {run['crm_entity']} ⇄ {run['qbo_entity']} of "
        f"{run['tenant']}: {counts}",
        file=sys.stderr if options.json else sys.stdout,
    )
    return 0


def _line(finding: dict[str, Any]) -> str:
    ids = f"crm {finding['crm_id'] or '-'} qbo {finding['qbo_id'] or '-'}"
    named = f" ({finding['label']})" if finding["label"] else ""
    line = f"{finding['finding']:14} {ids}{named}"
    if finding["finding"] == "differs":
        line += (
            f": {finding['field']}: crm {finding['crm_value']!r} "
            f"qbo {finding['qbo_value']!r}"
        )
    elif finding["finding"] == "unreadable":
        line += f": {finding['crm_value'] or finding['qbo_value']}"
    return line
