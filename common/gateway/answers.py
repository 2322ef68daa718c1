"""What a gateway answers to an operator's request (common/bus/requests.py).

Both gateways answer the same questions; only reading records from their API
differs, so that is what each passes in (a ``Reader``): ``lookup`` (a
record's label), ``read`` (one record, translated, read now) and ``page``
(one page of an entity's records, translated, for a reconcile). A page is
read in the bulk lane (``common/lanes.py``), so it never delays live syncs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from common.bus.requests import Answer, Request, RequestServer, Responder
from common.connections import Connections
from common.entities import ENTITIES
from common.gateway.calls import ApiPermanentError
from common.lanes import CURRENT_LANE
from common.records import CanonicalRecord
from common.runtime import ServiceContext
from common.subjects import label_of

SIDE_NAMES = {"crm": "Zoho CRM", "qbo": "QuickBooks"}
DEFAULT_PAGE_SIZE = 100
Connected = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class PageItem:
    """One record of a page: translated, or the reason it does not translate."""

    external_id: str
    record: CanonicalRecord | None
    label: str | None = None  # of the raw record, when it does not translate
    error: str | None = None

    def wire(self) -> dict[str, Any]:
        if self.record is None:
            return {
                "external_id": self.external_id,
                "label": self.label,
                "record": None,
                "error": self.error,
            }
        record = self.record.model_dump(mode="json")
        return {
            "external_id": self.external_id,
            "label": label_of(record),
            "record": record,
        }


@dataclass(frozen=True)
class RecordPage:
    items: list[PageItem]
    next_cursor: str | None  # None: this was the last page


class Reader(Protocol):
    """How one gateway reads its API for the operator's requests. A record
    that is not there is None (or an ApiPermanentError with status 400/404)."""

    async def label(self, tenant: str, entity: str, record_id: str) -> str | None: ...

    async def read(
        self, tenant: str, entity: str, record_id: str
    ) -> CanonicalRecord | None: ...

    async def page(
        self, tenant: str, entity: str, cursor: str | None, size: int
    ) -> RecordPage: ...


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
    reader: Reader,
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
        if request.entity not in ENTITIES[system]:
            known = ", ".join(ENTITIES[system])
            return Answer(
                ok=False, reason=f"unknown {system} entity {request.entity!r} ({known})"
            )
        if request.action == "page":
            return await _page(request, reader)
        if not request.external_id:
            return Answer(ok=False, reason="no record id given")
        if request.action == "read":
            return await _read(system, request, reader)
        return await _lookup(system, request, reader)

    return respond


async def _read(system: str, request: Request, reader: Reader) -> Answer:
    assert request.external_id is not None
    missing = (
        f"{SIDE_NAMES[system]} {request.entity} {request.external_id} does not exist"
    )
    try:
        record = await reader.read(request.tenant, request.entity, request.external_id)
    except ApiPermanentError as exc:
        if exc.status in (400, 404):  # an id the API does not know
            return Answer(ok=False, reason=missing)
        raise
    if record is None:
        return Answer(ok=False, reason=missing)
    found = record.model_dump(mode="json")
    return Answer(ok=True, record=found, label=label_of(found))


async def _page(request: Request, reader: Reader) -> Answer:
    # Bulk work: every live call of this tenant takes its turn first.
    lane = CURRENT_LANE.set("bulk")
    try:
        page = await reader.page(
            request.tenant,
            request.entity,
            request.cursor,
            request.page_size or DEFAULT_PAGE_SIZE,
        )
    finally:
        CURRENT_LANE.reset(lane)
    return Answer(
        ok=True,
        records=[item.wire() for item in page.items],
        next_cursor=page.next_cursor,
    )


async def _lookup(system: str, request: Request, reader: Reader) -> Answer:
    assert request.external_id is not None
    where = f"{SIDE_NAMES[system]} {request.entity} {request.external_id!r}"
    try:
        label = await reader.label(request.tenant, request.entity, request.external_id)
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
    reader: Reader,
    connected: Connected,
) -> None:
    """Answer operators' requests while the service runs (started with the
    service, stopped before it)."""
    answer = responder(system, connections, reader, connected)
    requests = RequestServer(context.bus, service, system, answer)
    context.on_start.append(requests.start)
    context.on_stop.append(requests.stop)
