"""Change data capture: what changed since a moment within the last 30 days,
deleted objects after the active ones, at most 1000 objects per entity."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.qbo_sandbox import errors
from services.qbo_sandbox.clock import parse_when
from services.qbo_sandbox.company import Company, Record

LOOKBACK = timedelta(days=30)
CAP = 1000
CDC_ENTITIES = ("Customer", "Vendor", "Item", "Invoice", "Estimate", "Account", "Term")


def canonical(name: str) -> str:
    for entity in CDC_ENTITIES:
        if entity.lower() == name.strip().lower():
            return entity
    raise errors.unsupported(f"cdc for entity {name.strip()}")


def changed_since(company: Company, text: str | None, now: datetime) -> datetime:
    if not text:
        raise errors.required_missing("changedSince")
    try:
        since = parse_when(text, company.tz)
    except ValueError:
        raise errors.request_malformed(f"Invalid changedSince {text}") from None
    if since < now - LOOKBACK:
        raise errors.unsupported(
            f"cdc with changedSince date {text} which is older than fixed days"
        )
    return since


def changes_for(company: Company, entity: str, since: datetime) -> dict[str, Any]:
    def updated(record: Record) -> datetime:
        return parse_when(record["MetaData"]["LastUpdatedTime"], company.tz)

    active = [r for r in company.table(entity).values() if updated(r) >= since]
    active.sort(key=updated)
    deleted = [
        {"status": "Deleted", "domain": "QBO", "Id": entity_id,
         "MetaData": {"LastUpdatedTime": when}}
        for entity_id, when in company.deleted.get(entity, {}).items()
        if parse_when(when, company.tz) >= since
    ]  # fmt: skip
    objects = (active + deleted)[:CAP]
    if not objects:
        return {}
    return {
        entity: objects,
        "startPosition": 1,
        "maxResults": len(objects),
        "totalCount": len(objects),
    }


def run_cdc(
    company: Company, entities: str | None, since_text: str | None, now: datetime
) -> list[dict[str, Any]]:
    if not entities:
        raise errors.required_missing("entities")
    names = [canonical(name) for name in entities.split(",") if name.strip()]
    since = changed_since(company, since_text, now)
    return [{"QueryResponse": [changes_for(company, name, since) for name in names]}]
