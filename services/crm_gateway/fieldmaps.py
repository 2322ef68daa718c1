"""Per-connection extra fields for Zoho modules, from the connection's settings.

``settings.field_maps.crm.<entity>`` = ``{"links": [{"api_field": "Title",
"custom_key": "title"}]}`` carries Contacts.Title in ``record.custom["title"]``;
the matcher pairs it with a QBO custom key (``settings.field_mapping``, see
docs/SYNC_RULES.md) and the qbo-gateway maps that to a QBO field
(``settings.field_maps.qbo.<entity>``). No code change per field.
"""

from __future__ import annotations

from common.connections import Connections
from services.crm_gateway.translation import FieldMap


class FieldMaps:
    def __init__(self, connections: Connections | None) -> None:
        self.connections = connections

    async def of(self, tenant: str, entity: str) -> FieldMap | None:
        if self.connections is None:
            return None
        connection = await self.connections.get(tenant)
        if connection is None:
            return None
        return connection.settings.field_map("crm", entity)


def extra_fields(field_map: FieldMap | None) -> tuple[str, ...]:
    """The API fields a list call must ask for on top of the module's own."""
    if field_map is None:
        return ()
    return tuple(link.api_field for link in field_map.links)
