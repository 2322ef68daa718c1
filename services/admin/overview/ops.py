"""The Overview's operations, shared by the API, the page and syncctl:
connections, counts per pair kind and direction, queue depths."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from common.connections import CONNECTIONS
from services.admin.console import Console
from services.admin.http.errors import BadRequest, NotFound, Unavailable
from services.admin.overview.connections import connection_status
from services.admin.overview.counts import Tally, read_tally
from services.admin.overview.queues import queue_depths
from services.admin.overview.reuse import Reused

# As common/connections.py's Connection.tenant accepts.
TENANT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


async def tenants(console: Console) -> list[str]:
    """Every connected tenant (nothing decrypted)."""
    collection = console.store.db[CONNECTIONS]
    return sorted([str(d["_id"]) async for d in collection.find({}, {"_id": 1})])


def check_tenant(tenant: str) -> str:
    if tenant and not TENANT.match(tenant):
        raise BadRequest(
            f"tenant {tenant!r} is not a tenant name (letters, digits, _ . -; "
            "at most 64)"
        )
    return tenant


async def connections(console: Console) -> dict[str, Any]:
    return {"connections": await connection_status(console.store, console.settings)}


# One reusable count per console (services/admin/overview/reuse.py).
_TALLIES: dict[int, Reused[Tally]] = {}


def _tally_of(console: Console) -> Reused[Tally]:
    reused = _TALLIES.get(id(console))
    if reused is None:
        reused = _TALLIES[id(console)] = Reused(
            lambda: read_tally(console.store.db, None)
        )
    return reused


async def overview(console: Console, tenant: str = "") -> dict[str, Any]:
    """Counts for ``tenant``, or for every tenant with a connection or records."""
    check_tenant(tenant)
    known = await tenants(console)
    tally = await _tally_of(console).get()
    counted = tally.value
    if tenant and tenant not in known and tenant not in counted.tenants:
        raise NotFound(f"no connection and no records for tenant {tenant!r}")
    names = [tenant] if tenant else sorted({*known, *counted.tenants})
    return {
        "direction": (
            "a record's direction is the side of its mirror entry: 'crm' counts "
            "the Zoho CRM records the sync has read, 'qbo' the QuickBooks ones, "
            "whichever side first made them"
        ),
        "tenants": [{"tenant": name, "rows": counted.answer(name)} for name in names],
        "counted_at": datetime.fromtimestamp(tally.at, UTC).isoformat(),
        "count_seconds": round(tally.took, 3),
    }


async def queues(console: Console) -> dict[str, Any]:
    names = await tenants(console)
    try:
        return {"queues": await queue_depths(console.bus, names)}
    except Exception as exc:  # the broker is down or the channel failed
        raise Unavailable(f"cannot read the queues from RabbitMQ: {exc!r}") from exc
