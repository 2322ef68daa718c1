"""syncctl's ``dead-letters`` topic.

    syncctl dead-letters list [filters] [--limit N] [--json]
    syncctl dead-letters groups [filters] [--limit N] [--json]
    syncctl dead-letters show ID
    syncctl dead-letters replay ID... | --all [filters] | --group KEY [--wait [S]]
    syncctl dead-letters discard ID... | --group KEY
    syncctl dead-letters replays [REPLAY_ID...] [--limit N] [--json]

``--wait`` follows each replay until it is settled (failed again, or done
and its record no longer waiting) and prints its outcome; at the deadline
(60 s unless given) what has not settled is printed as still in progress.
The exit code is 1 when a replay failed again or an id named no letter.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any

from common.settings import Settings
from services.admin.console import Console, open_console
from services.admin.dead_letters import ops
from services.admin.dead_letters.replays import FAILED_AGAIN, IN_PROGRESS
from services.admin.dead_letters.secrets import masked_text

FILTERS = ("tenant", "system", "entity", "queue", "error_class")
GROUP_FILTERS = ("tenant", "system", "entity", "error_class")
EXIT_USAGE = 2  # argparse's own code for a malformed command line
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.5
EVERY = 100_000  # --all: every matching letter, in selections of MAX_SELECTION


def commands(topics: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dead = topics.add_parser("dead-letters", help="failed syncs: list, replay, discard")
    actions = dead.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="newest first")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    listing.set_defaults(run=_list)
    groups = actions.add_parser("groups", help="grouped by cause, newest group first")
    groups.add_argument("--limit", type=int, default=20, help="items shown per group")
    groups.add_argument("--json", action="store_true", help="the API's JSON answer")
    groups.set_defaults(run=_groups)
    show = actions.add_parser("show", help="one dead letter, whole")
    show.add_argument("id")
    show.set_defaults(run=_show)
    replay = actions.add_parser("replay", help="send back to the queue that failed")
    replay.add_argument("id", nargs="*")
    replay.add_argument("--all", action="store_true", help="every one matching filters")
    replay.add_argument("--group", help="every one of a group (its key: `groups`)")
    replay.add_argument(
        "--wait",
        nargs="?",
        type=float,
        const=WAIT_SECONDS,
        metavar="SECONDS",
        help=f"print each replay's outcome once known (at most {WAIT_SECONDS:g} s)",
    )
    replay.set_defaults(run=_replay)
    discard = actions.add_parser("discard", help="remove without replaying")
    discard.add_argument("id", nargs="*")
    discard.add_argument("--group", help="every one of a group (its key: `groups`)")
    discard.set_defaults(run=_discard)
    replays = actions.add_parser("replays", help="recent replays and their outcomes")
    replays.add_argument("replay_id", nargs="*", help="these replays only")
    replays.add_argument("--tenant")
    replays.add_argument("--limit", type=int, default=20)
    replays.add_argument("--json", action="store_true", help="one JSON object a line")
    replays.set_defaults(run=_replays)
    for sub in (listing, replay):
        for name in FILTERS:
            sub.add_argument(f"--{name.replace('_', '-')}", dest=name)
    for name in GROUP_FILTERS:
        groups.add_argument(f"--{name.replace('_', '-')}", dest=name)


def _filters(options: argparse.Namespace, names: tuple[str, ...] = FILTERS) -> Any:
    return {name: getattr(options, name, None) for name in names}


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


def _usage(message: str) -> int:
    print(f"syncctl: {message}", file=sys.stderr)
    return EXIT_USAGE


async def _list(options: argparse.Namespace, settings: Settings) -> int:
    async with open_console(settings) as console:
        where = _filters(options)
        records = await console.dead_letters.list(where, limit=options.limit)
        for record in records:
            record.pop("replay_token", None)
            print(json.dumps(record, default=str) if options.json else _summary(record))
        total = await console.dead_letters.count(**where)
    # JSON lines stay machine-readable: the count goes to stderr there.
    print(
        f"{len(records)} shown of {total} dead letters",
        file=sys.stderr if options.json else sys.stdout,
    )
    return 0


async def _groups(options: argparse.Namespace, settings: Settings) -> int:
    where = {k: v or "" for k, v in _filters(options, GROUP_FILTERS).items()}
    async with open_console(settings) as console:
        found = await ops.groups(console, **where, limit=options.limit)
    if options.json:
        print(json.dumps(found))
        return 0
    for group in found["groups"]:
        print(
            f"{group['key']}  {group['count']}x  [{group['error_class']}] "
            f"{group['cause']}  (at {group['queue']}, newest {group['newest']})"
        )
        for item in group["items"]:
            print(f"    {item['id']}  {ops.record_name(item)}  {item['reason']}")
        if group["count"] > len(group["items"]):
            print(f"    ... {group['count'] - len(group['items'])} more")
    print(f"{found['total']} dead letters in {len(found['groups'])} groups")
    return 0


async def _show(options: argparse.Namespace, settings: Settings) -> int:
    async with open_console(settings) as console:
        found = await console.dead_letters.get(options.id)
    if found is None:
        print(f"syncctl: no dead letter {options.id!r}", file=sys.stderr)
        return 1
    found.pop("replay_token", None)
    found["body"] = masked_text(str(found.get("body") or ""))
    print(json.dumps(found, indent=2, default=str))
    return 0


def _by() -> str:
    try:
        return f"syncctl ({getpass.getuser()})"
    except Exception:  # no user name in this environment
        return "syncctl"


async def _replay(options: argparse.Namespace, settings: Settings) -> int:
    chosen = sum((bool(options.id), options.all, options.group is not None))
    if chosen != 1:
        return _usage("give ID(s), --all (with filters) or --group KEY")
    async with open_console(settings) as console:
        if options.all:
            letters = await console.dead_letters.list(_filters(options), limit=EVERY)
            ids = [str(letter["_id"]) for letter in letters]
            results = []
            for start in range(0, len(ids), ops.MAX_SELECTION):
                chunk = ids[start : start + ops.MAX_SELECTION]
                answer = await ops.replay(console, ids=chunk, by=_by())
                results += answer["results"]
            print(f"replayed {sum(r['done'] for r in results)} dead letters")
        else:
            answer = await ops.replay(
                console, ids=options.id or None, group=options.group, by=_by()
            )
            results = answer["results"]
            for result in results:
                if result["done"]:
                    print(f"replayed {result['id']}")
        missing = _report_missing(results)
        replay_ids = [r["replay"] for r in results if r["done"]]
        failed = False
        if options.wait is not None and replay_ids:
            failed = await _follow(console, replay_ids, options.wait)
    return 1 if missing or failed else 0


def _report_missing(results: list[dict[str, Any]]) -> bool:
    missing = [result["id"] for result in results if not result["done"]]
    for letter_id in missing:
        print(f"syncctl: no dead letter {letter_id!r}", file=sys.stderr)
    return bool(missing)


async def _follow(console: Console, replay_ids: list[str], seconds: float) -> bool:
    """Print each replay's outcome once settled; True if one failed again."""
    waiting = list(replay_ids)
    failed = False
    deadline = asyncio.get_running_loop().time() + max(seconds, 0.0)
    while True:
        current = await ops.replays(console, waiting)
        at_deadline = asyncio.get_running_loop().time() >= deadline
        for replay in current:
            if replay["settled"] or at_deadline:
                print(_outcome_line(replay, settled=replay["settled"]))
                failed = failed or replay["outcome"] == FAILED_AGAIN
                waiting.remove(replay["id"])
        if not waiting or at_deadline:
            return failed
        await asyncio.sleep(POLL_SECONDS)


def _outcome_line(replay: dict[str, Any], *, settled: bool = True) -> str:
    said = ops.describe(replay)
    if not settled:
        still = replay["outcome"] == IN_PROGRESS
        said = "still in progress" if still else f"still in progress ({said})"
    return f"{replay['dead_letter_id']}  {replay['record']}: {said}"


async def _discard(options: argparse.Namespace, settings: Settings) -> int:
    if bool(options.id) == (options.group is not None):
        return _usage("give ID(s) or --group KEY")
    async with open_console(settings) as console:
        answer = await ops.discard(console, ids=options.id or None, group=options.group)
    for result in answer["results"]:
        if result["done"]:
            print(f"discarded {result['id']}")
    return 1 if _report_missing(answer["results"]) else 0


async def _replays(options: argparse.Namespace, settings: Settings) -> int:
    async with open_console(settings) as console:
        found = await ops.replays(
            console,
            options.replay_id,
            tenant=options.tenant or "",
            limit=options.limit,
        )
    for replay in found:
        if options.json:
            print(json.dumps(replay))
        else:
            print(
                f"{replay['id']}  {replay['replayed_at']}  by {replay['by']}  "
                + _outcome_line(replay, settled=True)
            )
    if not found and not options.json:
        print("no replays yet")
    return 0
