"""syncctl's Overview topics.

syncctl connections [--json]
syncctl overview [--tenant T] [--json]
syncctl queues [--json]

``--json`` prints the API's answer (GET /api/connections, /api/overview,
/api/queues) as one JSON document.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from common.settings import Settings
from services.admin.console import open_console
from services.admin.overview import ops


def commands(
    topics: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    connections = topics.add_parser(
        "connections", help="each tenant's connection to both sides"
    )
    connections.add_argument("--json", action="store_true", help="as JSON")
    connections.set_defaults(run=_connections)
    overview = topics.add_parser(
        "overview", help="records linked, waiting, refused, failed, per pair kind"
    )
    overview.add_argument("--tenant", default="")
    overview.add_argument("--json", action="store_true", help="as JSON")
    overview.set_defaults(run=_overview)
    queues = topics.add_parser("queues", help="messages ready and consumers")
    queues.add_argument("--json", action="store_true", help="as JSON")
    queues.set_defaults(run=_queues)


def _print_json(answer: dict[str, Any]) -> None:
    print(json.dumps(answer, default=str))


async def _connections(options: argparse.Namespace, settings: Settings) -> int:
    async with open_console(settings) as console:
        answer = await ops.connections(console)
    if options.json:
        _print_json(answer)
        return 0
    for connection in answer["connections"]:
        print(f"tenant {connection['tenant']}")
        for side in connection["sides"]:
            why = f" ({side['status_reason']})" if side["status_reason"] else ""
            expires = side["access_expires_at"] or "no access token"
            print(
                f"  {side['name']:10} {side['status']}{why}; token expires "
                f"{expires}; refresh {side['refresh']}"
            )
            if side["reconnect"]:
                print(
                    f"    re-connect: {side['reconnect']['url'] or ''} "
                    f"{side['reconnect']['instructions']}".rstrip()
                )
            for entity in side["entities"]:
                print(
                    f"    {entity['entity']:9} last poll {entity['last_poll'] or '-'}"
                    f"  last webhook {entity['last_webhook'] or '-'}"
                )
    if not answer["connections"]:
        print("no tenant is connected yet")
    return 0


async def _overview(options: argparse.Namespace, settings: Settings) -> int:
    async with open_console(settings) as console:
        answer = await ops.overview(console, options.tenant)
    if options.json:
        _print_json(answer)
        return 0
    print(
        "tenant  pair  from  records  linked  waiting (in flight)  refused  "
        "failed  deleted"
    )
    for tenant in answer["tenants"]:
        for row in tenant["rows"]:
            for d in row["directions"]:
                print(
                    f"{tenant['tenant']}  {row['kind']}  {d['from']}.{d['entity']}  "
                    f"{d['total']}  {d['linked']}  {d['waiting']} "
                    f"({d['in_flight']})  {d['refused']}  {d['failed']}  "
                    f"{d['deleted']}"
                )
                for name in ("refused", "failed"):
                    for reason in d[f"{name}_reasons"]:
                        print(f"    {name} {reason['count']}x {reason['reason']}")
    return 0


async def _queues(options: argparse.Namespace, settings: Settings) -> int:
    async with open_console(settings) as console:
        answer = await ops.queues(console)
    if options.json:
        _print_json(answer)
        return 0
    for queue in answer["queues"]:
        if queue["declared"]:
            counts = (
                f"ready {queue['ready']}  retrying {queue['retrying']}  "
                f"consumers {queue['consumers']}"
            )
        else:
            counts = "not declared yet"
        print(f"{queue['queue']:40} {counts}")
    return 0
