"""Starting a backfill: one task per entity, all under one run id.

Each run is recorded in ``backfill_runs`` (who started it, when, for what),
so the console can list runs and follow each; the cursors (one per tenant,
side and entity) hold only the progress of the latest run of each entity.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from common.bus import Bus
from common.entities import validate_entity
from common.messages import Envelope
from common.payloads import BackfillPayload
from common.store import Store
from common.store.times import stored_now

BACKFILL_RUNS = "backfill_runs"

# Backfill order: what others depend on first (accounts before contacts,
# parties and products before documents); parking copes with any order.
BACKFILL_ORDER = {
    "crm": ("account", "contact", "product", "vendor", "invoice", "quote"),
    "qbo": ("customer", "item", "vendor", "invoice", "estimate"),
}


async def start_backfill(
    bus: Bus,
    tenant: str,
    system: str,
    since: date,
    entities: tuple[str, ...] = (),
    *,
    store: Store | None = None,
    started_by: str = "",
) -> str:
    """Publish one backfill task per entity; returns the run id. With a
    ``store`` the run is recorded first (the benchmarks pass none)."""
    chosen = entities or BACKFILL_ORDER[system]
    for entity in chosen:
        validate_entity(system, entity)
    run_id = uuid.uuid4().hex[:12]
    if store is not None:
        await store.db[BACKFILL_RUNS].insert_one(
            {
                "_id": run_id,
                "tenant": tenant,
                "system": system,
                "entities": list(chosen),
                "since": since.isoformat(),
                "started_at": stored_now(),
                "started_by": started_by,
            }
        )
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
