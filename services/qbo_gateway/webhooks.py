"""``POST /webhooks/qbo``: Intuit's change notifications, verified and enqueued.

In order: the signature is checked on the raw bytes (``webhook_signature``;
401 before anything is parsed), then the body is validated whole
(``webhook_body``; 400 with a one-line reason), then only realms whose
connection signed it are served. Notifications carry ids only; we enqueue
``fetch.qbo.*`` tasks (deleted transactions become ``change`` events at
once, there is nothing left to fetch) and answer 200 only once the broker
confirmed them — Intuit wants an answer within 3 s and retries on anything
else, so nothing accepted is lost and a retry is harmless (the same
notification yields the same event ids, which the consumers' inboxes drop).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict

import structlog
from aiohttp import web

from common.bus import Bus
from common.connections import Connection, Connections
from common.gateway.bodies import BodyTooLarge, read_limited
from common.gateway.cursors import Cursors
from common.gateway.echoes import BulkEchoes
from common.messages import Envelope, Version
from common.payloads import ChangePayload, FetchPayload
from services.qbo_gateway.catalog import BY_API_NAME
from services.qbo_gateway.webhook_body import (
    BadNotification,
    Notice,
    moment_of,
    parse_notices,
    read_notification,
)
from services.qbo_gateway.webhook_signature import signature_of, signers

__all__ = ["Notice", "QboWebhook", "messages_for", "parse_notices", "signature_of"]

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # CloudEvents notifications are at most ~1 MB
NAMESPACE = uuid.UUID("0b7b8f52-3f5e-4c38-9d7f-3e1f6f7f2a91")


def messages_for(connection: Connection, notices: list[Notice]) -> list[Envelope]:
    """fetch tasks per entity (ids batched), change events for deletions."""
    tenant = connection.tenant
    to_fetch: dict[str, set[str]] = defaultdict(set)
    messages: list[Envelope] = []
    for notice in notices:
        entity = BY_API_NAME.get(notice.entity)
        if entity is None:
            continue  # an entity we do not sync (Payment, Bill, ...)
        gone = notice.operation == "Delete" and not entity.name_list
        if notice.operation == "Merge" and notice.deleted_id:
            messages.append(_deleted(tenant, entity.bus, notice.deleted_id, notice))
        if gone:
            messages.append(_deleted(tenant, entity.bus, notice.entity_id, notice))
        else:
            # Name lists are deactivated, not deleted: fetch the inactive row.
            to_fetch[entity.bus].add(notice.entity_id)
    for bus_entity, ids in sorted(to_fetch.items()):
        key = json.dumps(
            [
                tenant,
                bus_entity,
                sorted(ids),
                sorted(n.last_updated or "" for n in notices),
            ]
        )
        messages.append(
            Envelope(
                event_id=uuid.uuid5(NAMESPACE, key),
                kind="fetch",
                tenant=tenant,
                system="qbo",
                entity=bus_entity,
                payload=FetchPayload(ids=sorted(ids), source="webhook").wire(),
            )
        )
    return messages


def _deleted(tenant: str, entity: str, entity_id: str, notice: Notice) -> Envelope:
    key = json.dumps([tenant, entity, entity_id, "deleted", notice.last_updated])
    return Envelope(
        event_id=uuid.uuid5(NAMESPACE, key),
        kind="change",
        tenant=tenant,
        system="qbo",
        entity=entity,
        external_id=entity_id,
        deleted=True,
        version=Version(updated_at=moment_of(notice.last_updated)),
        payload=ChangePayload(record={}, source="webhook", forced=False).wire(),
    )


class QboWebhook:
    def __init__(
        self,
        connections: Connections,
        bus: Bus,
        echoes: BulkEchoes | None = None,
        cursors: Cursors | None = None,
    ) -> None:
        self.connections = connections
        self.bus = bus
        self.echoes = echoes or BulkEchoes()
        self.cursors = cursors  # notes each entity's last webhook, for the console

    async def receive(self, request: web.Request) -> web.Response:
        signature = request.headers.get("intuit-signature")
        if not signature:
            return _problem(401, "missing intuit-signature")
        try:
            body = await read_limited(request, MAX_BODY_BYTES)
        except BodyTooLarge as exc:
            return _problem(413, str(exc))
        signed = await signers(self.connections, body, signature)
        if not signed:
            log.warning("qbo_webhook_refused", reason="signature")
            return _problem(401, "signature does not match")
        try:
            notification = read_notification(body)
        except BadNotification as exc:
            log.warning("qbo_webhook_malformed", reason=str(exc))
            return _problem(400, f"not a QBO notification: {exc}")
        by_realm: dict[str, list[Notice]] = {r: [] for r in notification.realms}
        for notice in notification.notices:
            by_realm[notice.realm_id].append(notice)
        messages: list[Envelope] = []
        served = False
        for realm, realm_notices in by_realm.items():
            # Only a realm whose own connection signed: one tenant's token
            # must not vouch for another tenant's realm.
            for connection in signed:
                if connection.qbo and connection.qbo.realm_id == realm:
                    served = True
                    messages.extend(messages_for(connection, realm_notices))
        if not served:
            log.warning("qbo_webhook_refused", realms=sorted(by_realm))
            return _problem(401, "signature does not match")
        messages = self.echoes.sorted_fetches(messages)
        try:
            await self.bus.publish_many(messages)
        except Exception as exc:  # not confirmed: let Intuit retry
            log.error("qbo_webhook_not_enqueued", error=repr(exc))
            return _problem(503, "could not enqueue; retry")
        if self.cursors is not None:  # never raises
            for tenant, entity in sorted({(m.tenant, m.entity) for m in messages}):
                await self.cursors.note_webhook(tenant, "qbo", entity)
        notices = len(notification.notices)
        log.info("qbo_webhook_accepted", notices=notices, messages=len(messages))
        return web.json_response({"accepted": len(messages)})


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response({"error": detail}, status=status)
