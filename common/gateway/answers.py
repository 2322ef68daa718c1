"""What a gateway answers to an operator's request (common/bus/requests.py).

Both gateways answer the same three questions; only reading one record from
their API differs, so that is the one thing each passes in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from common.bus.requests import Answer, Request, RequestServer, Responder
from common.connections import Connections
from common.entities import ENTITIES
from common.gateway.calls import ApiPermanentError
from common.runtime import ServiceContext

SIDE_NAMES = {"crm": "Zoho CRM", "qbo": "QuickBooks"}
# (tenant, entity, id) → how a person knows the record, or None if it is not there
ReadLabel = Callable[[str, str, str], Awaitable[str | None]]
Connected = Callable[[str], Awaitable[None]]


async def connection_problem(
    connections: Connections, tenant: str, system: str
) -> str | None:
    """Why this tenant's side cannot be used now, or None if it can."""
    connection = await connections.get(tenant)
    side_name = SIDE_NAMES[system]
    if connection is None:
        return f"tenant {tenant!r} has no connection (connect it first)"
    side = connection.qbo if system == "qbo" else connection.crm
    if side is None:
        return f"tenant {tenant!r} is not connected to {side_name}"
    if side.status != "active":
        reason = f": {side.status_reason}" if side.status_reason else ""
        return (
            f"the {side_name} connection of {tenant!r} is {side.status}{reason} "
            "(authorise it again)"
        )
    return None


def responder(
    system: str,
    connections: Connections,
    read_label: ReadLabel,
    connected: Connected,
) -> Responder:
    async def respond(request: Request) -> Answer:
        problem = await connection_problem(connections, request.tenant, system)
        if problem is not None:
            return Answer(ok=False, reason=problem)
        if request.action == "check":
            return Answer(ok=True)
        if request.action == "connected":
            await connected(request.tenant)
            return Answer(ok=True)
        return await _lookup(system, request, read_label)

    return respond


async def _lookup(system: str, request: Request, read_label: ReadLabel) -> Answer:
    if request.entity not in ENTITIES[system]:
        known = ", ".join(ENTITIES[system])
        return Answer(
            ok=False, reason=f"unknown {system} entity {request.entity!r} ({known})"
        )
    if not request.external_id:
        return Answer(ok=False, reason="no record id given")
    where = f"{SIDE_NAMES[system]} {request.entity} {request.external_id!r}"
    try:
        label = await read_label(request.tenant, request.entity, request.external_id)
    except ApiPermanentError as exc:
        if exc.status in (400, 404):  # an id the API does not know
            return Answer(ok=False, reason=f"{where} does not exist: {exc}")
        raise
    if label is None:
        return Answer(
            ok=False, reason=f"{where} does not exist in tenant {request.tenant!r}"
        )
    return Answer(ok=True, label=label)


def serve_answers(
    context: ServiceContext,
    service: str,
    system: str,
    connections: Connections,
    read_label: ReadLabel,
    connected: Connected,
) -> None:
    """Answer operators' requests while the service runs (started with the
    service, stopped before it)."""
    answer = responder(system, connections, read_label, connected)
    requests = RequestServer(context.bus, service, system, answer)
    context.on_start.append(requests.start)
    context.on_stop.append(requests.stop)
