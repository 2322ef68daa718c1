"""Operator actions shared by syncctl and `make run`: start a backfill, force
a sync, read progress, and connect a tenant to the two local sandboxes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from common.bus import Bus
from common.connections import Connection, SystemCredentials
from common.entities import ENTITIES, validate_entity
from common.gateway.cursors import Cursors
from common.messages import Envelope

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
    for entity in chosen:
        await bus.publish(
            Envelope(
                kind="backfill",
                tenant=tenant,
                system=system,
                entity=entity,
                payload={"since": since.isoformat(), "run_id": run_id},
            )
        )
    return run_id


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
            payload={"action": "force_sync"},
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


def sandbox_connection(
    tenant: str,
    zoho: dict[str, Any],
    qbo: dict[str, Any],
    verifier_token: str,
    settings: dict[str, Any] | None = None,
) -> Connection:
    """A connection to the sandboxes from their `/_sandbox/reset` answers."""
    return Connection(
        tenant=tenant,
        crm=zoho_sandbox_side(zoho),
        qbo=qbo_sandbox_side(qbo, verifier_token),
        settings=settings or {},
    )


def zoho_sandbox_side(zoho: dict[str, Any]) -> SystemCredentials:
    return SystemCredentials(
        client_id=zoho["client_id"],
        client_secret=SecretStr(zoho["client_secret"]),
        refresh_token=SecretStr(zoho["refresh_token"]),
        access_token=SecretStr(zoho["access_token"]),
        access_expires_at=datetime.now(UTC) + timedelta(minutes=55),
        api_base=zoho["api_domain"],
        token_url=zoho["accounts_server"].rstrip("/") + "/oauth/v2/token",
        accounts_server=zoho["accounts_server"],
    )


def qbo_sandbox_side(qbo: dict[str, Any], verifier_token: str) -> SystemCredentials:
    return SystemCredentials(
        client_id=qbo["client_id"],
        client_secret=SecretStr(qbo["client_secret"]),
        refresh_token=SecretStr(qbo["refresh_token"]),
        access_token=SecretStr(qbo["access_token"]),
        access_expires_at=datetime.now(UTC) + timedelta(minutes=55),
        api_base=qbo["base_url"],
        token_url=qbo["token_url"],
        realm_id=qbo["realm_id"],
        verifier_token=SecretStr(verifier_token),
    )


def all_entities(system: str) -> tuple[str, ...]:
    return ENTITIES[system]
