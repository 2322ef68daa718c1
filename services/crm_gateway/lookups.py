"""Zoho records as an operator's requests read them: a record's label
(lookup), one record translated (read), one page of a module translated
(page, for a reconcile). See common/gateway/answers.py.

A page cursor is ``<page>:<per_page>`` (Zoho's page numbers, which reach
the first 2000 records) or ``t:<per_page>:<page_token>`` past them; the page
size travels in the cursor because a page number means nothing under another.
"""

from __future__ import annotations

import asyncio
from typing import Any

from common.gateway.answers import PageItem, RecordPage
from common.records import CanonicalRecord
from services.crm_gateway.client import ZohoClient
from services.crm_gateway.fieldmaps import FieldMaps, extra_fields
from services.crm_gateway.modules import ModuleSpec, spec_of

# First field present wins; a lookup field ({"name", "id"}) gives its name.
LABEL_FIELDS = (
    "Full_Name",
    "Account_Name",
    "Product_Name",
    "Vendor_Name",
    "Subject",
    "Email",
)
LINE_ITEM_READS = 10  # single-record GETs in flight for one page


def label_of(record: dict[str, Any]) -> str:
    for name in LABEL_FIELDS:
        value = record.get(name)
        if isinstance(value, dict):
            value = value.get("name")
        if value:
            return str(value)
    return f"id {record.get('id')}"


def parse_cursor(cursor: str | None, size: int) -> tuple[int, str | None, int]:
    """(page, page_token, per_page) of a cursor; the first page for None."""
    if cursor is None:
        return 1, None, size
    try:
        if cursor.startswith("t:"):
            _, per_page, token = cursor.split(":", 2)
            return 1, token, int(per_page)
        page, per_page = cursor.split(":")
        return int(page), None, int(per_page)
    except ValueError:
        raise ValueError(f"malformed page cursor {cursor!r}") from None


class ZohoLookups:
    def __init__(self, client: ZohoClient, field_maps: FieldMaps | None = None) -> None:
        self.client = client
        self.field_maps = field_maps or FieldMaps(None)

    async def label(self, tenant: str, entity: str, record_id: str) -> str | None:
        found = await self.client.get(tenant, spec_of(entity).module, record_id)
        return None if found is None else label_of(found)

    async def read(
        self, tenant: str, entity: str, record_id: str
    ) -> CanonicalRecord | None:
        spec = spec_of(entity)
        found = await self.client.get(tenant, spec.module, record_id)
        if found is None:
            return None
        record, _ = spec.read(found, await self.field_maps.of(tenant, entity))
        return record

    async def page(
        self, tenant: str, entity: str, cursor: str | None, size: int
    ) -> RecordPage:
        spec = spec_of(entity)
        number, token, per_page = parse_cursor(cursor, size)
        field_map = await self.field_maps.of(tenant, entity)
        page = await self.client.list_page(
            tenant,
            spec.module,
            fields=(*spec.list_fields, *extra_fields(field_map)),
            sort_by="id",
            sort_order="asc",
            page=number,
            page_token=token,
            per_page=per_page,
        )
        rows = await self._full_records(tenant, spec, page.records)
        items = []
        for row in rows:
            rid = str(row.get("id"))
            try:
                record, _ = spec.read(row, field_map)
            except Exception as exc:  # named in the page, not fatal to it
                items.append(PageItem(rid, None, label_of(row), str(exc)))
            else:
                items.append(PageItem(rid, record))
        if not page.more:
            following = None
        elif page.next_page_token:
            following = f"t:{per_page}:{page.next_page_token}"
        else:
            following = f"{number + 1}:{per_page}"
        return RecordPage(items, following)

    async def _full_records(
        self, tenant: str, spec: ModuleSpec, rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Line items come only with a single-record GET."""
        if not spec.line_items:
            return rows
        gate = asyncio.Semaphore(LINE_ITEM_READS)

        async def one(row: dict[str, Any]) -> dict[str, Any] | None:
            async with gate:
                return await self.client.get(tenant, spec.module, str(row["id"]))

        found = await asyncio.gather(*(one(row) for row in rows))
        return [record for record in found if record is not None]
