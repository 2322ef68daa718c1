"""Starting a backfill: one task per entity, all under one run id."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from common.bus import Bus
from common.entities import validate_entity
from common.messages import Envelope
from common.payloads import BackfillPayload

# Backfill order: what others depend on first (accounts before contacts,
# parties and products before documents); parking copes with any order.
BACKFILL_ORDER = {
    "crm": ("account", "contact", "product", "vendor", "invoice", "quote"),
    "qbo": ("customer", "item", "vendor", "invoice", "estimate"),
}


async def start_backfill(
    bus: Bus, tenant: str, system: str, since: date, entities: tuple[str, ...] = ()
) -> str:
    """Publish one backfill task per entity; returns the run id."""
    chosen = entities or BACKFILL_ORDER[system]
    for entity in chosen:
        validate_entity(system, entity)
    run_id = uuid.uuid4().hex[:12]
    task = BackfillPayload(since=datetime.combine(since, time(), UTC), run_id=run_id)
    for entity in chosen:
        await bus.publish(
            Envelope(
                kind="backfill",
                tenant=tenant,
                system=system,
                entity=entity,
                payload=task.wire(),
            )
        )
    return run_id
