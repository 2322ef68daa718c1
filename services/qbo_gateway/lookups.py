"""QBO records as an operator's requests read them: a record's label
(lookup), one record translated (read), one page of an entity translated
(page, for a reconcile). See common/gateway/answers.py.

A page cursor is the query's STARTPOSITION of the next page; pages are in
Id order, inactive name-list rows included (as the backfill reads them).
"""

from __future__ import annotations

from typing import Any

from common.connections import Connections
from common.gateway.answers import PageItem, RecordPage
from common.records import CanonicalRecord
from common.translation.fieldmap import FieldMap
from services.qbo_gateway.catalog import ENTITIES
from services.qbo_gateway.client import QboClient

LABEL_FIELDS = ("DisplayName", "Name", "DocNumber")


def label_of(record: dict[str, Any]) -> str:
    for name in LABEL_FIELDS:
        if record.get(name):
            return str(record[name])
    return f"Id {record.get('Id')}"


def parse_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 1
    if not cursor.isdigit() or int(cursor) < 1:
        raise ValueError(f"malformed page cursor {cursor!r}")
    return int(cursor)


class QboLookups:
    def __init__(
        self, client: QboClient, connections: Connections | None = None
    ) -> None:
        self.client = client
        self.connections = connections

    async def _field_map(self, tenant: str, entity: str) -> FieldMap | None:
        if self.connections is None:
            return None
        connection = await self.connections.get(tenant)
        return connection.settings.field_map("qbo", entity) if connection else None

    async def label(self, tenant: str, entity: str, record_id: str) -> str | None:
        found = await self.client.read(tenant, ENTITIES[entity].api, record_id)
        return label_of(found) if found else None

    async def read(
        self, tenant: str, entity: str, record_id: str
    ) -> CanonicalRecord | None:
        kind = ENTITIES[entity]
        found = await self.client.read(tenant, kind.api, record_id)
        if not found:
            return None
        record, _ = kind.read(found, await self._field_map(tenant, entity))
        return record

    async def page(
        self, tenant: str, entity: str, cursor: str | None, size: int
    ) -> RecordPage:
        kind = ENTITIES[entity]
        position = parse_cursor(cursor)
        where = " WHERE Active IN (true, false)" if kind.name_list else ""
        statement = (
            f"SELECT * FROM {kind.api}{where} ORDERBY Id "
            f"STARTPOSITION {position} MAXRESULTS {size}"
        )
        rows = await self.client.query_rows(tenant, kind.api, statement)
        field_map = await self._field_map(tenant, entity)
        items = []
        for row in rows:
            rid = str(row.get("Id"))
            try:
                record, _ = kind.read(row, field_map)
            except Exception as exc:  # named in the page, not fatal to it
                items.append(PageItem(rid, None, label_of(row), str(exc)))
            else:
                items.append(PageItem(rid, record))
        following = str(position + len(rows)) if len(rows) >= size else None
        return RecordPage(items, following)
