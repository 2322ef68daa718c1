"""``POST /webhooks/qbo``: Intuit's change notifications, verified and enqueued.

Intuit signs the raw body: ``intuit-signature`` = base64(HMAC-SHA256(verifier
token, body)). Notifications carry ids only; we enqueue ``fetch.qbo.*`` tasks
(deleted transactions become ``change`` events at once, there is nothing left
to fetch) and answer 200 only once the broker confirmed them — Intuit wants
an answer within 3 s and retries on anything else, so nothing accepted is
lost and a retry is harmless (the same notification yields the same event
ids, which the consumers' inboxes drop).

Both payload formats are accepted: the legacy ``eventNotifications`` object
and the CloudEvents array Intuit is moving to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import web

from common.bus import Bus
from common.connections import Connection, Connections
from common.gateway.bodies import BodyTooLarge, read_limited
from common.messages import Envelope, Version
from services.qbo_gateway.catalog import BY_API_NAME

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # CloudEvents notifications are at most ~1 MB
NAMESPACE = uuid.UUID("0b7b8f52-3f5e-4c38-9d7f-3e1f6f7f2a91")
CLOUD_EVENT_OPERATIONS = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "merged": "Merge",
    "voided": "Void",
    "emailed": "Emailed",
}


@dataclass(frozen=True)
class Notice:
    realm_id: str
    entity: str  # QBO name: Customer, Invoice, ...
    entity_id: str
    operation: str
    last_updated: str | None
    deleted_id: str | None = None


def signature_of(verifier_token: str, body: bytes) -> str:
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_by(verifier_token: str, body: bytes, signature: str) -> bool:
    expected = signature_of(verifier_token, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def parse_notices(data: Any) -> list[Notice]:
    if isinstance(data, list):
        return [n for n in (_cloud_event(event) for event in data) if n]
    if not isinstance(data, dict) or "eventNotifications" not in data:
        raise ValueError("neither eventNotifications nor a CloudEvents array")
    notices = []
    for notification in data["eventNotifications"]:
        realm = str(notification["realmId"])
        for entity in notification.get("dataChangeEvent", {}).get("entities", []):
            notices.append(
                Notice(
                    realm_id=realm,
                    entity=str(entity["name"]),
                    entity_id=str(entity["id"]),
                    operation=str(entity.get("operation", "Update")),
                    last_updated=entity.get("lastUpdated"),
                    deleted_id=entity.get("deletedId"),
                )
            )
    return notices


def _cloud_event(event: dict[str, Any]) -> Notice | None:
    # The event type reads qbo.<entity>.<created, updated, deleted, ...>.v1
    parts = str(event.get("type", "")).split(".")
    if len(parts) < 3 or parts[0] != "qbo":
        return None
    name = next((api for api in BY_API_NAME if api.lower() == parts[1]), None)
    if name is None:
        return None
    data = event.get("data") or {}
    return Notice(
        realm_id=str(event.get("intuitaccountid", "")),
        entity=name,
        entity_id=str(event.get("intuitentityid", "")),
        operation=CLOUD_EVENT_OPERATIONS.get(parts[2], "Update"),
        last_updated=event.get("time"),
        deleted_id=data.get("deletedId") if isinstance(data, dict) else None,
    )


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
                payload={"ids": sorted(ids), "source": "webhook"},
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
        version=Version(updated_at=_parse_time(notice.last_updated)),
        payload={"record": {}, "source": "webhook", "forced": False},
    )


class QboWebhook:
    def __init__(self, connections: Connections, bus: Bus) -> None:
        self.connections = connections
        self.bus = bus

    async def receive(self, request: web.Request) -> web.Response:
        signature = request.headers.get("intuit-signature")
        if not signature:
            return _problem(401, "missing intuit-signature")
        try:
            body = await read_limited(request, MAX_BODY_BYTES)
        except BodyTooLarge as exc:
            return _problem(413, str(exc))
        try:
            notices = parse_notices(json.loads(body))
        except (ValueError, KeyError, TypeError) as exc:
            return _problem(400, f"not a QBO notification: {exc}")
        by_realm: dict[str, list[Notice]] = defaultdict(list)
        for notice in notices:
            by_realm[notice.realm_id].append(notice)
        messages: list[Envelope] = []
        verified = False
        for realm, realm_notices in by_realm.items():
            for connection in await self.connections.by_realm(realm):
                token = connection.qbo.verifier_token if connection.qbo else None
                if token is None or not signed_by(
                    token.get_secret_value(), body, signature
                ):
                    continue
                verified = True
                messages.extend(messages_for(connection, realm_notices))
        if not verified:
            log.warning("qbo_webhook_refused", realms=sorted(by_realm))
            return _problem(401, "signature does not match")
        try:
            await self.bus.publish_many(messages)
        except Exception as exc:  # not confirmed: let Intuit retry
            log.error("qbo_webhook_not_enqueued", error=repr(exc))
            return _problem(503, "could not enqueue; retry")
        log.info("qbo_webhook_accepted", notices=len(notices), messages=len(messages))
        return web.json_response({"accepted": len(messages)})


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response({"error": detail}, status=status)
