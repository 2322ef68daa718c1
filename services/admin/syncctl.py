"""syncctl: the operator's command line (installed by `make install`).

    syncctl dead-letters list|groups|show|replay|discard|replays  (see
        services/admin/dead_letters/cli.py)
    syncctl backfill start --tenant T --system crm|qbo [--since 2000-01-01]
    syncctl backfill status [--tenant T]
    syncctl force-sync --tenant T --system S --entity E ID [--wait [SECONDS]]
    syncctl record --tenant T --system crm|qbo --entity E ID [--json]
    syncctl records find|links show|parked list  (see
        services/admin/records/cli.py)
    syncctl reconcile ENTITY --tenant T [--json] [--csv FILE]  (see
        services/admin/reconcile/cli.py)
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
import os
import sys
from collections.abc import Sequence

from common.entities import ENTITIES
from common.logging import configure_logging
from common.operator import demo
from common.settings import Settings
from services.admin.areas import AREAS
from services.admin.console import Unreachable
from services.admin.http.errors import BadRequest, NotFound, Unavailable

EXIT_USAGE = 2  # argparse's own code for a malformed command line


class UserError(Exception):
    """A mistake a person can fix; shown as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="syncctl", description=__doc__.split("\n")[0])
    topics = parser.add_subparsers(dest="topic", required=True)
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


def _check_entities(system: str, entities: Sequence[str]) -> None:
    known = ENTITIES[system]
    for entity in entities:
        if entity not in known:
            raise UserError(
                f"unknown {system} entity {entity!r}; accepted: {', '.join(known)}",
                EXIT_USAGE,
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
    raise AssertionError(f"no command for topic {options.topic!r}")


def main() -> None:
    # Only warnings reach the console, on stderr: stdout is the command's answer.
    configure_logging("syncctl", "WARNING", "console")
    try:
        sys.exit(asyncio.run(run(sys.argv[1:])))
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`syncctl ... | head`): stop quietly, as other
        # command-line tools do; stdout goes nowhere so its final flush is too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


if __name__ == "__main__":
    main()
