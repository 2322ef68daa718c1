"""One Zoho record as a person knows it: the answer to an operator's lookup."""

from __future__ import annotations

from typing import Any

from services.crm_gateway.client import ZohoClient
from services.crm_gateway.modules import spec_of

# First field present wins; a lookup field ({"name", "id"}) gives its name.
LABEL_FIELDS = (
    "Full_Name",
    "Account_Name",
    "Product_Name",
    "Vendor_Name",
    "Subject",
    "Email",
)


def label_of(record: dict[str, Any]) -> str:
    for name in LABEL_FIELDS:
        value = record.get(name)
        if isinstance(value, dict):
            value = value.get("name")
        if value:
            return str(value)
    return f"id {record.get('id')}"


class ZohoLookups:
    def __init__(self, client: ZohoClient) -> None:
        self.client = client

    async def label(self, tenant: str, entity: str, record_id: str) -> str | None:
        found = await self.client.get(tenant, spec_of(entity).module, record_id)
        return None if found is None else label_of(found)
