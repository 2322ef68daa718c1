"""fetch, poll and backfill: read Zoho, publish ``change.crm.<entity>``.

Ids of what is published are derived from the input (a redelivered task
emits the same ids) and, for poll and backfill, from the record's own
Modified_Time, so a page read twice costs nothing downstream. A watermark or
a backfill cursor moves only after the page's changes are confirmed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from common.bus import Bus
from common.gateway.cursors import Cursors
from common.gateway.echoes import BulkEchoes, catching_up
from common.gateway.refusals import Refusals
from common.messages import Envelope, Version
from common.payloads import (
    BackfillPayload,
    ChangePayload,
    ChangeSource,
    FetchPayload,
    PollPayload,
)
from common.records import CanonicalRecord
from services.crm_gateway.client import Page, ZohoClient, parse_time
from services.crm_gateway.fieldmaps import FieldMaps, extra_fields
from services.crm_gateway.lookups import label_of
from services.crm_gateway.modules import MODULES, ModuleSpec, spec_of
from services.crm_gateway.translation import FieldMap

log = structlog.get_logger(__name__)

SYSTEM = "crm"
POLL_PAGES = 10  # per poll message; the rest goes to a follow-up poll
DELETED_PAGES = 10
LINE_ITEM_READS = 10  # single-record GETs in flight for one page
IDS = uuid.UUID("2f1c7c5e-3a52-4a4e-9b0f-2a7d0a6f9c11")  # namespace of derived ids


def derived_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(IDS, "|".join(parts))


class Reads:
    def __init__(
        self,
        client: ZohoClient,
        bus: Bus,
        cursors: Cursors,
        refusals: Refusals,
        field_maps: FieldMaps | None = None,
        echoes: BulkEchoes | None = None,
    ) -> None:
        self.client = client
        self.echoes = echoes or BulkEchoes()
        self.bus = bus
        self.cursors = cursors
        self.refusals = refusals
        self.field_maps = field_maps or FieldMaps(None)

    # -- translation -----------------------------------------------------------
    def translate(
        self, spec: ModuleSpec, data: dict[str, Any], field_map: FieldMap | None = None
    ) -> tuple[CanonicalRecord, Version]:
        return spec.read(data, field_map)

    def change(
        self,
        cause: Envelope,
        spec: ModuleSpec,
        external_id: str,
        *,
        source: ChangeSource,
        forced: bool = False,
        record: CanonicalRecord | None = None,
        version: Version | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Envelope:
        stamp = version.updated_at.isoformat() if version else "gone"
        lane = (
            "bulk"
            if source == "backfill"
            else self.echoes.lane_of(cause, spec.entity, external_id)
        )
        change = cause.caused(
            key=f"change|{external_id}|{stamp}",
            kind="change",
            entity=spec.entity,
            external_id=external_id,
            lane=lane,
            version=version,
            deleted=record is None,
            payload=ChangePayload(
                record=record.model_dump(mode="json") if record else {},
                source=source,
                forced=forced,
            ).wire(),
        )
        if event_id is not None:
            change = change.model_copy(update={"event_id": event_id})
        return change

    async def _full_records(
        self, tenant: str, spec: ModuleSpec, rows: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Line items come only with a single-record GET."""
        if not spec.line_items:
            return list(rows)
        gate = asyncio.Semaphore(LINE_ITEM_READS)

        async def one(row: dict[str, Any]) -> dict[str, Any] | None:
            async with gate:
                return await self.client.get(tenant, spec.module, str(row["id"]))

        found = await asyncio.gather(*(one(row) for row in rows))
        return [record for record in found if record is not None]

    async def _translated(
        self,
        cause: Envelope,
        spec: ModuleSpec,
        rows: Sequence[dict[str, Any]],
        field_map: FieldMap | None = None,
    ) -> list[tuple[str, CanonicalRecord, Version]]:
        """The rows that translate (``Refusals.translated``: each one that
        does not becomes a dead letter naming it)."""

        def translate(row: dict[str, Any]) -> tuple[str, CanonicalRecord, Version]:
            record, version = self.translate(spec, row, field_map)
            return str(row["id"]), record, version

        def name(row: dict[str, Any]) -> tuple[str, str]:
            found = row.get("id")
            return str(found), f"Zoho {spec.module} {found} ({label_of(row)})"

        return await self.refusals.translated(cause, spec.entity, rows, translate, name)

    # -- fetch -----------------------------------------------------------------
    async def fetch(self, envelope: Envelope) -> list[Envelope]:
        spec = spec_of(envelope.entity)
        task = envelope.payload_as(FetchPayload)
        ids = [envelope.external_id] if envelope.external_id else []
        ids += [i for i in task.ids if i not in ids]
        source, forced = task.source, task.forced
        field_map = await self.field_maps.of(envelope.tenant, spec.entity)
        if spec.line_items:
            rows = await self._full_records(
                envelope.tenant, spec, [{"id": i} for i in ids]
            )
        else:
            rows = await self.client.get_many(
                envelope.tenant,
                spec.module,
                ids,
                (*spec.list_fields, *extra_fields(field_map)),
            )
        good = await self._translated(envelope, spec, rows, field_map)
        changes = [
            self.change(
                envelope,
                spec,
                rid,
                source=source,
                forced=forced,
                record=rec,
                version=ver,
            )
            for rid, rec, ver in good
        ]
        present = {str(row.get("id")) for row in rows}
        changes += [
            self.change(envelope, spec, rid, source=source, forced=forced)
            for rid in ids
            if rid not in present
        ]
        return changes

    # -- poll ------------------------------------------------------------------
    async def poll(self, envelope: Envelope) -> list[Envelope]:
        if envelope.entity == "*":
            return [
                envelope.caused(
                    key=f"poll|{entity}", entity=entity, payload=PollPayload().wire()
                )
                for entity in MODULES
            ]
        spec = spec_of(envelope.entity)
        tenant = envelope.tenant
        since = await self.cursors.watermark(tenant, SYSTEM, spec.entity)
        if since is None:
            start = envelope.payload_as(PollPayload).since
            if start is None:
                # History is the backfill's job: polling starts from now.
                now = datetime.now(UTC)
                await self.cursors.advance_watermark(
                    tenant, SYSTEM, spec.entity, now, 0
                )
                await self.cursors.advance_watermark(
                    tenant, SYSTEM, deleted_key(spec), now, 0
                )
                return []
            since = start
        more = await self._poll_changes(envelope, spec, since)
        await self._poll_deleted(envelope, spec, since)
        if more:
            return [envelope.caused(key=f"poll-more|{since.isoformat()}")]
        return []

    async def _poll_changes(
        self, envelope: Envelope, spec: ModuleSpec, since: datetime
    ) -> bool:
        tenant = envelope.tenant
        # If-Modified-Since is strict (>): step back a second to read >=.
        header = since - timedelta(seconds=1)
        token: str | None = None
        field_map = await self.field_maps.of(tenant, spec.entity)
        for _ in range(POLL_PAGES):
            page = await self.client.list_page(
                tenant,
                spec.module,
                fields=(*spec.list_fields, *extra_fields(field_map)),
                since=header,
                sort_by="Modified_Time",
                sort_order="asc",
                page_token=token,
            )
            if not page.records:
                return False
            rows = await self._full_records(tenant, spec, page.records)
            good = await self._translated(envelope, spec, rows, field_map)
            await self.bus.publish_many(
                catching_up(
                    [
                        self.change(
                            envelope,
                            spec,
                            rid,
                            source="poll",
                            record=rec,
                            version=ver,
                            event_id=derived_id(
                                "poll",
                                tenant,
                                spec.entity,
                                rid,
                                ver.updated_at.isoformat(),
                            ),
                        )
                        for rid, rec, ver in good
                    ]
                )
            )
            newest = max(
                (
                    parse_time(str(row["Modified_Time"]))
                    for row in page.records
                    if row.get("Modified_Time")
                ),
                default=since,
            )
            await self.cursors.advance_watermark(
                tenant, SYSTEM, spec.entity, newest, len(page.records)
            )
            if not page.more:
                return False
            if not page.next_page_token:
                return True  # a follow-up poll goes on from the new watermark
            token = page.next_page_token
        return True

    async def _poll_deleted(
        self, envelope: Envelope, spec: ModuleSpec, since: datetime
    ) -> None:
        tenant = envelope.tenant
        key = deleted_key(spec)
        since = await self.cursors.watermark(tenant, SYSTEM, key) or since
        for number in range(1, DELETED_PAGES + 1):
            page: Page = await self.client.deleted(
                tenant, spec.module, since - timedelta(seconds=1), page=number
            )
            if not page.records:
                return
            changes = []
            newest = since
            for row in page.records:
                when = parse_time(str(row["deleted_time"]))
                newest = max(newest, when)
                changes.append(
                    self.change(
                        envelope,
                        spec,
                        str(row["id"]),
                        source="poll",
                        version=Version(updated_at=when),
                        event_id=derived_id(
                            "deleted", tenant, spec.entity, str(row["id"])
                        ),
                    )
                )
            await self.bus.publish_many(catching_up(changes))
            await self.cursors.advance_watermark(
                tenant, SYSTEM, key, newest, len(changes)
            )
            if not page.more:
                return

    # -- backfill --------------------------------------------------------------
    async def backfill(self, envelope: Envelope) -> list[Envelope]:
        spec = spec_of(envelope.entity)
        tenant = envelope.tenant
        task = envelope.payload_as(BackfillPayload)
        run_id = task.run_id or str(envelope.correlation_id)
        since = task.since or datetime(1970, 1, 1, tzinfo=UTC)
        cursor = await self.cursors.start_backfill(
            tenant, SYSTEM, spec.entity, since, run_id
        )
        if cursor.get("status") == "done":
            return []
        done_pages = int(cursor.get("page") or 0)
        position: dict[str, Any] = cursor.get("position") or {}
        total = cursor.get("total")
        if done_pages == 0:
            total = await self.client.count(tenant, spec.module)
        field_map = await self.field_maps.of(tenant, spec.entity)
        page = await self.client.list_page(
            tenant,
            spec.module,
            fields=(*spec.list_fields, *extra_fields(field_map)),
            since=task.since,
            sort_by="id",
            sort_order="asc",
            page=int(position.get("page") or 1),
            page_token=position.get("page_token"),
        )
        rows = await self._full_records(tenant, spec, page.records)
        good = await self._translated(envelope, spec, rows, field_map)
        await self.bus.publish_many(
            [
                self.change(
                    envelope,
                    spec,
                    rid,
                    source="backfill",
                    record=rec,
                    version=ver,
                    event_id=derived_id(
                        "backfill",
                        tenant,
                        run_id,
                        spec.entity,
                        rid,
                        ver.updated_at.isoformat(),
                    ),
                )
                for rid, rec, ver in good
            ]
        )
        finished = not page.more
        next_position = {
            "page": int(position.get("page") or 1) + 1,
            "page_token": page.next_page_token,
        }
        moved = await self.cursors.record_page(
            tenant,
            SYSTEM,
            spec.entity,
            run_id=run_id,
            page=done_pages + 1,
            position=next_position,
            published=len(good),
            total=total,
            done=finished,
        )
        if not moved or finished:
            return []  # another copy of this page moved the cursor first
        follow = envelope.caused(
            event_id=derived_id(
                "backfill-page", tenant, run_id, spec.entity, str(done_pages + 2)
            ),
        )
        return [follow]


def deleted_key(spec: ModuleSpec) -> str:
    return f"{spec.entity}.deleted"
