"""Reading QBO: fetch by id, poll changes, backfill history → change events.

Webhooks carry ids only, so everything that enters the system from QBO goes
through here and leaves as ``change.qbo.<entity>`` with the full canonical
record and its version (SyncToken + LastUpdatedTime).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from common.bus import Bus
from common.connections import Connections
from common.errors import PermanentError
from common.gateway.cursors import Cursors
from common.gateway.echoes import BulkEchoes, catching_up
from common.gateway.refusals import Refusals
from common.messages import Envelope, Version
from common.payloads import (
    BackfillPayload,
    ChangePayload,
    ChangeSource,
    FetchPayload,
)
from common.records import CanonicalRecord
from common.translation.fieldmap import FieldMap
from services.qbo_gateway.catalog import ENTITIES, QboEntity
from services.qbo_gateway.client import MAX_RESULTS, QboClient, qbo_time, quote
from services.qbo_gateway.lookups import label_of

log = structlog.get_logger(__name__)

CDC_WINDOW = timedelta(days=30)
CDC_CAP = 1000
IDS_PER_QUERY = 100
ALL = "*"
BACKFILL_SINCE = datetime(2000, 1, 1, tzinfo=UTC)  # a backfill that names no start


@dataclass(frozen=True)
class ReadSettings:
    backfill_page_size: int = MAX_RESULTS
    initial_lookback: timedelta = timedelta(hours=1)


class QboReads:
    def __init__(
        self,
        client: QboClient,
        bus: Bus,
        cursors: Cursors,
        connections: Connections,
        refusals: Refusals,
        settings: ReadSettings | None = None,
        echoes: BulkEchoes | None = None,
    ) -> None:
        self.client = client
        self.echoes = echoes or BulkEchoes()
        self.bus = bus
        self.cursors = cursors
        self.connections = connections
        self.refusals = refusals
        self.settings = settings or ReadSettings()

    # -- shared ---------------------------------------------------------------
    async def _field_map(self, tenant: str, entity: str) -> FieldMap | None:
        connection = await self.connections.get(tenant)
        return connection.settings.field_map("qbo", entity) if connection else None

    def _change(
        self,
        parent: Envelope,
        entity: QboEntity,
        external_id: str,
        *,
        record: CanonicalRecord | None,
        version: Version | None,
        source: ChangeSource,
        forced: bool = False,
    ) -> Envelope:
        deleted = record is None
        marker = version.sequence if version and version.sequence is not None else "x"
        stamp = version.updated_at.isoformat() if version else "deleted"
        lane = (
            "bulk"
            if source == "backfill"
            else self.echoes.lane_of(parent, entity.bus, external_id)
        )
        return parent.caused(
            key=f"change:{entity.bus}:{external_id}:{marker}:{stamp}",
            kind="change",
            system="qbo",
            entity=entity.bus,
            external_id=external_id,
            lane=lane,
            version=version,
            deleted=deleted,
            payload=ChangePayload(
                record=record.model_dump(mode="json") if record else {},
                source=source,
                forced=forced,
            ).wire(),
        )

    def _translate(
        self,
        parent: Envelope,
        entity: QboEntity,
        row: dict[str, Any],
        field_map: FieldMap | None,
        source: ChangeSource,
        forced: bool = False,
    ) -> Envelope:
        if row.get("status") == "Deleted":  # a CDC tombstone
            version = Version(
                updated_at=_parse_time(row["MetaData"]["LastUpdatedTime"])
            )
            return self._change(
                parent,
                entity,
                str(row["Id"]),
                record=None,
                version=version,
                source=source,
            )
        record, version = entity.read(row, field_map)
        return self._change(
            parent,
            entity,
            str(row["Id"]),
            record=record,
            version=version,
            source=source,
            forced=forced,
        )

    async def _publishable(
        self,
        parent: Envelope,
        entity: QboEntity,
        rows: Sequence[dict[str, Any]],
        source: ChangeSource,
        forced: bool = False,
    ) -> list[Envelope]:
        """The rows' changes (``Refusals.translated``: each row that cannot
        be translated becomes a dead letter naming it)."""
        field_map = await self._field_map(parent.tenant, entity.bus)

        def translate(row: dict[str, Any]) -> Envelope:
            return self._translate(parent, entity, row, field_map, source, forced)

        def name(row: dict[str, Any]) -> tuple[str, str]:
            found = row.get("Id")
            return str(found), f"QBO {entity.api} {found} ({label_of(row)})"

        return await self.refusals.translated(parent, entity.bus, rows, translate, name)

    # -- fetch ----------------------------------------------------------------
    async def fetch(self, envelope: Envelope) -> Sequence[Envelope]:
        entity = _entity(envelope.entity)
        task = envelope.payload_as(FetchPayload)
        ids = list(task.ids)
        if envelope.external_id:
            ids.append(envelope.external_id)
        ids = sorted(set(ids))
        forced, source = task.forced, task.source
        changes: list[Envelope] = []
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            statement = (
                f"SELECT * FROM {entity.api} WHERE Id IN "
                f"({', '.join(quote(i) for i in chunk)}){entity.active_clause()} "
                f"MAXRESULTS {MAX_RESULTS}"
            )
            rows = await self.client.query_rows(envelope.tenant, entity.api, statement)
            found = {str(row["Id"]) for row in rows}
            changes += await self._publishable(envelope, entity, rows, source, forced)
            for missing in sorted(set(chunk) - found):
                # Gone from QBO: a deleted transaction (name lists are only
                # ever deactivated, and the query above includes inactive).
                changes.append(
                    self._change(
                        envelope,
                        entity,
                        missing,
                        record=None,
                        version=Version(updated_at=envelope.occurred_at),
                        source=source,
                    )
                )
        return changes

    # -- poll -----------------------------------------------------------------
    async def poll(self, envelope: Envelope) -> Sequence[Envelope]:
        tenant = envelope.tenant
        kinds = (
            list(ENTITIES.values())
            if envelope.entity == ALL
            else [_entity(envelope.entity)]
        )
        scope = envelope.entity
        now = datetime.now(UTC)
        since = await self.cursors.watermark(tenant, "qbo", scope)
        if since is None:
            since = now - self.settings.initial_lookback
        rows_by_entity: dict[str, list[dict[str, Any]]]
        if now - since < CDC_WINDOW - timedelta(minutes=5):
            rows_by_entity = await self.client.cdc(
                tenant, [k.api for k in kinds], since
            )
            for kind in kinds:
                if len(rows_by_entity[kind.api]) >= CDC_CAP:
                    rows_by_entity[kind.api] = await self._changed_by_query(
                        tenant, kind, since
                    )
        else:
            rows_by_entity = {
                kind.api: await self._changed_by_query(tenant, kind, since)
                for kind in kinds
            }
        changes: list[Envelope] = []
        newest = since
        for kind in kinds:
            rows = rows_by_entity[kind.api]
            changes += await self._publishable(envelope, kind, rows, "poll")
            for row in rows:
                updated = row.get("MetaData", {}).get("LastUpdatedTime")
                if updated:
                    newest = max(newest, _parse_time(updated))
        # The watermark moves only once every change read is confirmed (and
        # every refused one recorded).
        changes = catching_up(changes)
        await self.bus.publish_many(changes)
        await self.cursors.advance_watermark(tenant, "qbo", scope, newest, len(changes))
        log.info(
            "qbo_polled", tenant=tenant, changes=len(changes), since=qbo_time(since)
        )
        return []

    async def _changed_by_query(
        self, tenant: str, kind: QboEntity, since: datetime
    ) -> list[dict[str, Any]]:
        """Past CDC's window or cap: page through a LastUpdatedTime query."""
        rows: list[dict[str, Any]] = []
        position = 1
        while True:
            statement = (
                f"SELECT * FROM {kind.api} WHERE MetaData.LastUpdatedTime >= "
                f"{quote(qbo_time(since))}{kind.active_clause()} "
                f"ORDERBY MetaData.LastUpdatedTime STARTPOSITION {position} "
                f"MAXRESULTS {MAX_RESULTS}"
            )
            page = await self.client.query_rows(tenant, kind.api, statement)
            rows.extend(page)
            if len(page) < MAX_RESULTS:
                return rows
            position += MAX_RESULTS

    # -- backfill -------------------------------------------------------------
    async def backfill(self, envelope: Envelope) -> Sequence[Envelope]:
        tenant = envelope.tenant
        task = envelope.payload_as(BackfillPayload)
        since = task.since or BACKFILL_SINCE
        run_id = task.run_id or str(envelope.correlation_id)
        pages = BackfillPayload(since=since, run_id=run_id)  # the run's next tasks
        if envelope.entity == ALL:
            return [
                envelope.caused(
                    key=f"backfill:{run_id}:{name}",
                    entity=name,
                    payload=pages.wire(),
                )
                for name in ENTITIES
            ]
        kind = _entity(envelope.entity)
        cursor = await self.cursors.start_backfill(
            tenant, "qbo", kind.bus, since, run_id
        )
        if cursor.get("status") == "done":
            return []
        page = int(cursor.get("page", 0)) + 1
        position = int(cursor.get("position") or 1)
        where = f"MetaData.LastUpdatedTime >= {quote(qbo_time(since))}"
        where += kind.active_clause()
        total = cursor.get("total")
        if total is None:
            total = await self.client.count(tenant, kind.api, where)
        size = self.settings.backfill_page_size
        statement = (
            f"SELECT * FROM {kind.api} WHERE {where} ORDERBY Id "
            f"STARTPOSITION {position} MAXRESULTS {size}"
        )
        rows = await self.client.query_rows(tenant, kind.api, statement)
        changes = await self._publishable(envelope, kind, rows, "backfill")
        await self.bus.publish_many(changes)
        done = len(rows) < size
        await self.cursors.record_page(
            tenant,
            "qbo",
            kind.bus,
            run_id=run_id,
            page=page,
            position=position + len(rows),
            published=len(rows),
            total=total,
            done=done,
        )
        log.info(
            "qbo_backfill_page",
            tenant=tenant,
            entity=kind.bus,
            page=page,
            rows=len(rows),
            total=total,
            done=done,
        )
        if done:
            return []
        return [
            envelope.caused(
                key=f"backfill:{run_id}:{kind.bus}:{page + 1}", payload=pages.wire()
            )
        ]


def _entity(name: str) -> QboEntity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise PermanentError(f"qbo-gateway does not sync {name!r}") from None


def _parse_time(value: str) -> datetime:
    # QBO webhooks write offsets without a colon (-0700); fromisoformat takes both.
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
