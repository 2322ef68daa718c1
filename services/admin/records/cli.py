"""syncctl topics of the Records area:

    syncctl record --tenant T --system crm|qbo --entity E ID [--json]
    syncctl force-sync --tenant T --system S --entity E ID [--wait [SECONDS]]
    syncctl records find [--tenant T] QUERY [--system S] [--state S] [--json]
    syncctl links show --tenant T --system S --entity E ID [--json]
    syncctl parked list [--tenant T] [--json]

``force-sync --wait`` prints the outcome (written, unchanged, waiting,
refused, failed, still running) and exits 1 unless it is written, unchanged
or waiting. An unknown entity is a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from common.entities import ENTITIES
from common.record_states import read_state
from common.settings import Settings
from services.admin.console import open_console
from services.admin.http.errors import NotFound
from services.admin.records import lookup, ops

EXIT_USAGE = 2  # argparse's own code for a malformed command line
GOOD_OUTCOMES = ("written", "unchanged", "waiting", "requested")
DEFAULT_WAIT = 30.0
MAX_WAIT = 120.0


def commands(topics: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    force = topics.add_parser("force-sync", help="sync one record now, either way")
    _place_arguments(force)
    force.add_argument(
        "--wait",
        type=_seconds,
        nargs="?",
        const=DEFAULT_WAIT,
        default=0.0,
        metavar="SECONDS",
        help=f"wait for the outcome (default {DEFAULT_WAIT:g} s, at most {MAX_WAIT:g})",
    )
    force.set_defaults(action="force", run=_force_sync)

    record = topics.add_parser(
        "record", help="one record's state: synced, waiting, refused or failed"
    )
    _place_arguments(record)
    record.add_argument(
        "--json", action="store_true", help="everything about it, as JSON"
    )
    record.set_defaults(action="show", run=_record)

    records = topics.add_parser("records", help="find records by id, email or name")
    records_actions = records.add_subparsers(dest="action", required=True)
    find = records_actions.add_parser("find", help="by id, email or name")
    find.add_argument("--tenant", default="", help="needed if there are several")
    find.add_argument("query", nargs="?", default="")
    find.add_argument("--system", choices=("crm", "qbo"), default="")
    find.add_argument("--entity", default="")
    find.add_argument("--state", choices=lookup.STATES, default="")
    find.add_argument("--kind", choices=lookup.QUERY_KINDS, default="")
    find.add_argument("--limit", type=int, default=20)
    find.add_argument("--json", action="store_true", help="one JSON object a line")
    find.set_defaults(run=_find)

    links = topics.add_parser("links", help="the link pairing a record")
    links_actions = links.add_subparsers(dest="action", required=True)
    show = links_actions.add_parser("show", help="one record's link")
    _place_arguments(show)
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=_link)

    parked = topics.add_parser("parked", help="documents waiting on dependencies")
    parked_actions = parked.add_subparsers(dest="action", required=True)
    listing = parked_actions.add_parser("list", help="every parked document")
    listing.add_argument("--tenant", default="")
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    listing.set_defaults(run=_parked)


def _place_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--system", required=True, choices=("crm", "qbo"))
    parser.add_argument("--entity", required=True)
    parser.add_argument("id")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= MAX_WAIT:
        raise argparse.ArgumentTypeError(f"wait between 0 and {MAX_WAIT:g} seconds")
    return value


def _unknown_entity(options: argparse.Namespace) -> bool:
    """Said as one line (exit 2, as argparse does for its own mistakes)."""
    known = ENTITIES[options.system]
    if options.entity in known:
        return False
    print(
        f"syncctl: unknown {options.system} entity {options.entity!r}; "
        f"accepted: {', '.join(known)}",
        file=sys.stderr,
    )
    return True


def _print_json(value: Any, *, indent: int | None = 2) -> None:
    print(json.dumps(value, indent=indent, default=str, ensure_ascii=False))


async def _record(options: argparse.Namespace, settings: Settings) -> int:
    if _unknown_entity(options):
        return EXIT_USAGE
    async with open_console(settings) as console:
        if not options.json:
            state = await read_state(
                console.store.db,
                options.tenant,
                options.system,
                options.entity,
                options.id,
            )
            print(state.line())
            return 0
        try:
            _print_json(
                await ops.view(
                    console,
                    tenant=options.tenant,
                    system=options.system,
                    entity=options.entity,
                    external_id=options.id,
                )
            )
        except NotFound:  # never seen: its state says so
            state = await read_state(
                console.store.db,
                options.tenant,
                options.system,
                options.entity,
                options.id,
            )
            _print_json({"tenant": options.tenant, "state": ops.state_json(state)})
    return 0


async def _force_sync(options: argparse.Namespace, settings: Settings) -> int:
    if _unknown_entity(options):
        return EXIT_USAGE
    async with open_console(settings) as console:
        done = await ops.sync_now(
            console,
            tenant=options.tenant,
            system=options.system,
            entity=options.entity,
            external_id=options.id,
            wait=options.wait,
        )
    if options.wait <= 0:
        print(
            f"requested a sync of {ops.SIDE_NAMES[options.system]} {options.entity} "
            f"{options.id} ({done['label']}); follow it with `syncctl record "
            f"--tenant {options.tenant} --system {options.system} --entity "
            f"{options.entity} {options.id}`"
        )
        return 0
    print(f"{options.system} {options.entity} {options.id}: {done['message']}")
    return 0 if done["outcome"] in GOOD_OUTCOMES else 1


async def _find(options: argparse.Namespace, settings: Settings) -> int:
    if options.entity and options.system and _unknown_entity(options):
        return EXIT_USAGE
    async with open_console(settings) as console:
        found = await ops.find(
            console,
            tenant=options.tenant,
            q=options.query.strip(),
            system=options.system,
            entity=options.entity,
            state=options.state,
            kind=options.kind,
            limit=max(1, min(options.limit, 200)),
        )
    for row in found["records"]:
        if options.json:
            _print_json({"tenant": found["tenant"], **row}, indent=None)
        else:
            label = f" ({row['label']})" if row["label"] else ""
            print(
                f"{row['system']} {row['entity']} {row['external_id']}{label}: "
                f"{row['state']} {row['detail']}".rstrip()
            )
    count = len(found["records"])
    print(
        f"{count} found in {found['tenant']} ({found['took_ms']} ms)",
        file=sys.stderr if options.json else sys.stdout,
    )
    return 0


async def _link(options: argparse.Namespace, settings: Settings) -> int:
    if _unknown_entity(options):
        return EXIT_USAGE
    async with open_console(settings) as console:
        link = await ops.link_show(
            console,
            tenant=options.tenant,
            system=options.system,
            entity=options.entity,
            external_id=options.id,
        )
    if options.json:
        _print_json(link)
        return 0
    print(
        f"{link['id']}: {link['state']}  CRM {link['crm_id'] or '-'} ⇄ "
        f"QBO {link['qbo_id'] or '-'}"
    )
    for write in link["pending"]:
        what = "a create" if write["create"] else ", ".join(write["fields"])
        print(f"  waiting on {write['side']} to confirm {what} (since {write['at']})")
    for name, value in sorted(link["base"].items()):
        print(f"  {name} = {json.dumps(value, default=str, ensure_ascii=False)}")
    return 0


async def _parked(options: argparse.Namespace, settings: Settings) -> int:
    async with open_console(settings) as console:
        rows = await ops.parked_list(console, tenant=options.tenant)
    for row in rows:
        if options.json:
            _print_json(row, indent=None)
        else:
            print(
                f"{row['tenant']}  {row['system']} {row['entity']} "
                f"{row['external_id']}  waiting on {', '.join(row['waiting'])} "
                f"since {row['since']}"
            )
    print(f"{len(rows)} parked", file=sys.stderr if options.json else sys.stdout)
    return 0
