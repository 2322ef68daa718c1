"""syncctl (`python -m services.admin`): the operator's command line.

    syncctl dead-letters list [--tenant T] [--entity E]
    syncctl dead-letters show ID
    syncctl dead-letters replay ID | --all [filters]
    syncctl dead-letters discard ID
    syncctl backfill start --tenant T --system crm|qbo [--since 2000-01-01]
    syncctl backfill status [--tenant T]
    syncctl force-sync --tenant T --system crm --entity contact ID

It reads the same environment as the services (AMQP_URL, MONGODB_URL, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

from common.bus import Bus, DeadLetters
from common.gateway.cursors import Cursors
from common.settings import Settings
from common.store import open_store
from services.admin.operations import backfill_progress, force_sync, start_backfill

FILTERS = ("tenant", "system", "entity", "queue", "error_class")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="syncctl", description=__doc__.split("\n")[0])
    topics = parser.add_subparsers(dest="topic", required=True)
    dead = topics.add_parser("dead-letters", help="failed syncs: list, replay, discard")
    actions = dead.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="newest first")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    show = actions.add_parser("show", help="one dead letter, whole")
    show.add_argument("id")
    replay = actions.add_parser("replay", help="send back to the queue that failed")
    replay.add_argument("id", nargs="?")
    replay.add_argument("--all", action="store_true", help="every one matching filters")
    discard = actions.add_parser("discard", help="remove without replaying")
    discard.add_argument("id")
    for sub in (listing, replay):
        for name in FILTERS:
            sub.add_argument(f"--{name.replace('_', '-')}", dest=name)
    backfill = topics.add_parser("backfill", help="pull history in, with progress")
    backfill_actions = backfill.add_subparsers(dest="action", required=True)
    start = backfill_actions.add_parser("start", help="read every record since a date")
    start.add_argument("--tenant", required=True)
    start.add_argument("--system", required=True, choices=("crm", "qbo"))
    start.add_argument("--since", type=date.fromisoformat, default=date(2000, 1, 1))
    start.add_argument("--entity", action="append", default=[])
    status = backfill_actions.add_parser("status", help="progress of each backfill")
    status.add_argument("--tenant")
    force = topics.add_parser("force-sync", help="sync one record now, either way")
    force.add_argument("--tenant", required=True)
    force.add_argument("--system", required=True, choices=("crm", "qbo"))
    force.add_argument("--entity", required=True)
    force.add_argument("id")
    force.set_defaults(action="force")
    return parser


def _filters(options: argparse.Namespace) -> dict[str, str | None]:
    return {name: getattr(options, name, None) for name in FILTERS}


def _summary(record: dict[str, Any]) -> str:
    return (
        f"{record['_id']}  {record['last_failed_at']}  {record.get('tenant') or '-'}  "
        f"{record['routing_key']}  {record.get('external_id') or '-'}  "
        f"[{record['error_class']}] {record['reason']}"
    )


async def run(argv: Sequence[str], settings: Settings | None = None) -> int:
    options = _parser().parse_args(argv)
    settings = settings or Settings()
    store = await open_store(settings)
    bus = Bus(settings)
    await bus.connect()
    dead_letters = DeadLetters(store, bus)
    try:
        if options.topic == "backfill":
            return await _backfill(options, bus, Cursors(store))
        if options.topic == "force-sync":
            await force_sync(
                bus, options.tenant, options.system, options.entity, options.id
            )
            print(f"requested a sync of {options.system} {options.entity} {options.id}")
            return 0
        if options.action == "list":
            records = await dead_letters.list(_filters(options), limit=options.limit)
            for record in records:
                print(
                    json.dumps(record, default=str)
                    if options.json
                    else _summary(record)
                )
            total = await dead_letters.count(**_filters(options))
            print(f"{len(records)} shown of {total}", file=sys.stderr)
        elif options.action == "show":
            found = await dead_letters.get(options.id)
            if found is None:
                print(f"no dead letter {options.id!r}", file=sys.stderr)
                return 1
            print(json.dumps(found, indent=2, default=str))
        elif options.action == "replay":
            if options.all == bool(options.id):
                print("give one ID or --all (with filters)", file=sys.stderr)
                return 2
            if options.all:
                count = await dead_letters.replay_matching(**_filters(options))
                print(f"replayed {count}")
            elif not await dead_letters.replay(options.id):
                print(f"no dead letter {options.id!r}", file=sys.stderr)
                return 1
            else:
                print(f"replayed {options.id}")
        elif options.action == "discard":
            if not await dead_letters.discard(options.id):
                print(f"no dead letter {options.id!r}", file=sys.stderr)
                return 1
            print(f"discarded {options.id}")
    finally:
        await bus.close()
        await store.close()
    return 0


async def _backfill(options: argparse.Namespace, bus: Bus, cursors: Cursors) -> int:
    if options.action == "start":
        run_id = await start_backfill(
            bus, options.tenant, options.system, options.since, tuple(options.entity)
        )
        print(f"backfill {run_id} started; follow it with `syncctl backfill status`")
        return 0
    for row in await backfill_progress(cursors, options.tenant):
        share = f"{row['percent']}%" if row["percent"] is not None else "?"
        print(
            f"{row['tenant']}  {row['system']}.{row['entity']:9} {row['status']:8} "
            f"{row['published']}/{row['total'] if row['total'] is not None else '?'} "
            f"({share})"
        )
    return 0


def main() -> None:
    sys.exit(asyncio.run(run(sys.argv[1:])))


if __name__ == "__main__":
    main()
