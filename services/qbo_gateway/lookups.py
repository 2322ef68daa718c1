"""One QBO record as a person knows it: the answer to an operator's lookup."""

from __future__ import annotations

from typing import Any

from services.qbo_gateway.catalog import ENTITIES
from services.qbo_gateway.client import QboClient

LABEL_FIELDS = ("DisplayName", "Name", "DocNumber")


def label_of(record: dict[str, Any]) -> str:
    for name in LABEL_FIELDS:
        if record.get(name):
            return str(record[name])
    return f"Id {record.get('Id')}"


class QboLookups:
    def __init__(self, client: QboClient) -> None:
        self.client = client

    async def label(self, tenant: str, entity: str, record_id: str) -> str | None:
        found = await self.client.read(tenant, ENTITIES[entity].api, record_id)
        return label_of(found) if found else None
