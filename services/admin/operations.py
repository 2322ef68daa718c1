"""syncctl's own operator actions: force a sync and read backfill progress.
Those `make run` takes too (start a backfill, connect the sandboxes) are in
common/operator."""

from __future__ import annotations

from typing import Any

from common.bus import Bus
from common.entities import validate_entity
from common.gateway.cursors import Cursors
from common.messages import Envelope
from common.payloads import CommandPayload


async def force_sync(
    bus: Bus, tenant: str, system: str, entity: str, record_id: str
) -> None:
    validate_entity(system, entity)
    await bus.publish(
        Envelope(
            kind="command",
            tenant=tenant,
            system=system,
            entity=entity,
            external_id=record_id,
            payload=CommandPayload(action="force_sync").wire(),
        )
    )


async def backfill_progress(
    cursors: Cursors, tenant: str | None
) -> list[dict[str, Any]]:
    rows = []
    for cursor in await cursors.list(tenant):
        if cursor.get("kind") != "backfill":
            continue
        total = cursor.get("total")
        done = int(cursor.get("published") or 0)
        if total is not None and done > total:
            # The total is counted when the run starts; records made while it
            # runs (by people, or by the sync itself) are read too.
            total = done
        rows.append(
            {
                "tenant": cursor["tenant"],
                "system": cursor["system"],
                "entity": cursor["entity"],
                "status": cursor["status"],
                "published": done,
                "total": total,
                "percent": round(100 * done / total, 1) if total else None,
                "updated_at": cursor.get("updated_at"),
            }
        )
    return sorted(rows, key=lambda row: (row["tenant"], row["system"], row["entity"]))
