"""syncctl: the operator's command line (installed by `make install`).

    syncctl dead-letters list [--tenant T] [--system S] [--entity E]
    syncctl dead-letters show ID
    syncctl dead-letters replay ID | --all [filters]
    syncctl dead-letters discard ID
    syncctl backfill start --tenant T --system crm|qbo [--since 2000-01-01]
    syncctl backfill status [--tenant T]
    syncctl force-sync --tenant T --system crm --entity contact ID
    syncctl record --tenant T --system crm|qbo --entity E ID
    syncctl demo credentials [--shell]

It reads the same environment as the services (AMQP_URL, MONGODB_URL, ...).
A person's mistake (an unknown entity, a tenant with no connection, a record
that does not exist) is one line on stderr and a non-zero exit, never a
traceback. Commands that start work ask the gateway first and wait for its
answer, so "started" means the gateway could do it.
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
from common.bus.requests import NoAnswer, Request, ask
from common.entities import ENTITIES
from common.gateway.cursors import Cursors
from common.logging import configure_logging
from common.operator import demo
from common.operator.backfills import BACKFILL_ORDER, start_backfill
from common.record_states import read_state
from common.settings import Settings
from common.store import open_store
from services.admin.areas import AREAS
from services.admin.console import Unreachable
from services.admin.http.errors import BadRequest, NotFound, Unavailable
from services.admin.operations import backfill_progress, force_sync

FILTERS = ("tenant", "system", "entity", "queue", "error_class")
GATEWAY = {"crm": "crm_gateway", "qbo": "qbo_gateway"}
SIDE_NAMES = {"crm": "Zoho CRM", "qbo": "QuickBooks"}
EXIT_USAGE = 2  # argparse's own code for a malformed command line


class UserError(Exception):
    """A mistake a person can fix; shown as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


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
    start.add_argument("--since", type=_date, default=date(2000, 1, 1))
    start.add_argument(
        "--entity", action="append", default=[], help="repeat for several"
    )
    status = backfill_actions.add_parser("status", help="progress of each backfill")
    status.add_argument("--tenant")
    force = topics.add_parser("force-sync", help="sync one record now, either way")
    force.add_argument("--tenant", required=True)
    force.add_argument("--system", required=True, choices=("crm", "qbo"))
    force.add_argument("--entity", required=True)
    force.add_argument("id")
    force.set_defaults(action="force")
    record = topics.add_parser(
        "record", help="one record's state: synced, waiting, refused or failed"
    )
    record.add_argument("--tenant", required=True)
    record.add_argument("--system", required=True, choices=("crm", "qbo"))
    record.add_argument("--entity", required=True)
    record.add_argument("id")
    record.set_defaults(action="show")
    demo_topic = topics.add_parser("demo", help="the `make run` demo")
    demo_actions = demo_topic.add_subparsers(dest="action", required=True)
    credentials = demo_actions.add_parser(
        "credentials", help="API addresses and fresh tokens of the demo sandboxes"
    )
    credentials.add_argument(
        "--shell", action="store_true", help="as `export` lines for eval"
    )
    for area in AREAS:  # the console's areas add their own topics
        if area.commands is not None:
            area.commands(topics)
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD)"
        ) from None


def _check_entities(system: str, entities: Sequence[str]) -> None:
    known = ENTITIES[system]
    for entity in entities:
        if entity not in known:
            raise UserError(
                f"unknown {system} entity {entity!r}; accepted: {', '.join(known)}",
                EXIT_USAGE,
            )


def _filters(options: argparse.Namespace) -> dict[str, str | None]:
    return {name: getattr(options, name, None) for name in FILTERS}


def _summary(record: dict[str, Any]) -> str:
    """One line: the record it is about first, as the person knows it."""
    subject = " ".join(
        str(record.get(field) or "-") for field in ("system", "entity", "external_id")
    )
    label = f" ({record['label']})" if record.get("label") else ""
    times = int(record.get("occurrences") or 1)
    repeated = f"  {times}x since {record['first_failed_at']}" if times > 1 else ""
    return (
        f"{record['_id']}  {record['last_failed_at']}  {record.get('tenant') or '-'}  "
        f"{subject}{label}  [{record['error_class']}] {record['reason']}  "
        f"(at {record['routing_key']}){repeated}"
    )


async def run(argv: Sequence[str], settings: Settings | None = None) -> int:
    """The command line's work; returns the exit code."""
    options = _parser().parse_args(argv)
    try:
        return await _dispatch(options, settings)
    except UserError as exc:
        print(f"syncctl: {exc}", file=sys.stderr)
        return exc.code


async def _dispatch(options: argparse.Namespace, settings: Settings | None) -> int:
    if getattr(options, "run", None) is not None:  # an area's command
        try:
            code: int = await options.run(options, settings or Settings())
        except (Unreachable, BadRequest, NotFound, Unavailable) as exc:
            raise UserError(str(exc)) from exc
        return code
    if options.topic == "demo":
        try:
            print(await demo.credentials_text(shell=options.shell, settings=settings))
        except demo.DemoMissing as exc:
            raise UserError(str(exc)) from exc
        return 0
    settings = settings or Settings()
    if options.topic in ("force-sync", "record"):
        _check_entities(options.system, [options.entity])
    if options.topic == "record":
        return await _record(options, settings)
    elif options.topic == "backfill" and options.action == "start":
        _check_entities(options.system, options.entity)
    store = await open_store(settings)
    bus = Bus(settings)
    try:
        await bus.connect()
    except Exception as exc:
        await store.close()
        raise UserError(f"cannot reach RabbitMQ: {exc}") from exc
    try:
        if options.topic == "backfill":
            return await _backfill(options, settings, bus, Cursors(store))
        if options.topic == "force-sync":
            return await _force_sync(options, settings, bus)
        return await _dead_letters(options, DeadLetters(store, bus))
    finally:
        await bus.close()
        await store.close()


async def _record(options: argparse.Namespace, settings: Settings) -> int:
    store = await open_store(settings)
    try:
        state = await read_state(
            store.db, options.tenant, options.system, options.entity, options.id
        )
    finally:
        await store.close()
    print(state.line())
    return 0


async def _gateway_says(settings: Settings, system: str, request: Request) -> str:
    """Ask the gateway of ``system``; its label for the record, or UserError."""
    try:
        answer = await ask(settings, GATEWAY[system], system, request)
    except NoAnswer as exc:
        raise UserError(f"{exc}; nothing was started") from exc
    if not answer.ok:
        raise UserError(answer.reason)
    return answer.label or ""


async def _force_sync(options: argparse.Namespace, settings: Settings, bus: Bus) -> int:
    label = await _gateway_says(
        settings,
        options.system,
        Request(
            action="lookup",
            tenant=options.tenant,
            entity=options.entity,
            external_id=options.id,
        ),
    )
    await force_sync(bus, options.tenant, options.system, options.entity, options.id)
    print(
        f"requested a sync of {SIDE_NAMES[options.system]} {options.entity} "
        f"{options.id} ({label}); follow it with `syncctl record --tenant "
        f"{options.tenant} --system {options.system} --entity {options.entity} "
        f"{options.id}`"
    )
    return 0


async def _backfill(
    options: argparse.Namespace, settings: Settings, bus: Bus, cursors: Cursors
) -> int:
    if options.action == "start":
        await _gateway_says(
            settings, options.system, Request(action="check", tenant=options.tenant)
        )
        entities = tuple(options.entity) or BACKFILL_ORDER[options.system]
        run_id = await start_backfill(
            bus, options.tenant, options.system, options.since, entities
        )
        print(
            f"backfill {run_id} started for {options.tenant} "
            f"({SIDE_NAMES[options.system]}: {', '.join(entities)}); "
            "follow it with `syncctl backfill status`"
        )
        return 0
    rows = await backfill_progress(cursors, options.tenant)
    for row in rows:
        share = f"{row['percent']}%" if row["percent"] is not None else "?"
        total = row["total"] if row["total"] is not None else "?"
        print(
            f"{row['tenant']}  {row['system']}.{row['entity']:9} {row['status']:8} "
            f"{row['published']}/{total} ({share})"
        )
    if not rows:
        print("no backfill has run yet")
    return 0


async def _dead_letters(options: argparse.Namespace, dead_letters: DeadLetters) -> int:
    if options.action == "list":
        records = await dead_letters.list(_filters(options), limit=options.limit)
        for record in records:
            print(json.dumps(record, default=str) if options.json else _summary(record))
        total = await dead_letters.count(**_filters(options))
        # JSON lines stay machine-readable: the count goes to stderr there.
        print(
            f"{len(records)} shown of {total} dead letters",
            file=sys.stderr if options.json else sys.stdout,
        )
    elif options.action == "show":
        found = await dead_letters.get(options.id)
        if found is None:
            raise UserError(f"no dead letter {options.id!r}")
        print(json.dumps(found, indent=2, default=str))
    elif options.action == "replay":
        if options.all == bool(options.id):
            raise UserError("give one ID or --all (with filters)", EXIT_USAGE)
        if options.all:
            count = await dead_letters.replay_matching(**_filters(options))
            print(f"replayed {count} dead letters")
        elif not await dead_letters.replay(options.id):
            raise UserError(f"no dead letter {options.id!r}")
        else:
            print(f"replayed {options.id}")
    elif options.action == "discard":
        if not await dead_letters.discard(options.id):
            raise UserError(f"no dead letter {options.id!r}")
        print(f"discarded {options.id}")
    return 0


def main() -> None:
    # Only warnings reach the console, on stderr: stdout is the command's answer.
    configure_logging("syncctl", "WARNING", "console")
    try:
        sys.exit(asyncio.run(run(sys.argv[1:])))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
