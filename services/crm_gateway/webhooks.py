"""``POST /webhooks/zoho``: Zoho's notification callbacks.

Zoho signs nothing: it echoes the channel's ``token`` in the body, which is
compared in constant time with the one stored for that channel. The answer
is 200 only once the work is on the bus (publish confirmed), so a failure
makes Zoho deliver again. The event id is derived from the callback body:
a repeated delivery carries the same id and the consumers' inboxes drop it.
The body is validated in ``callback_body``: token first (401), then shape
(400); nothing malformed reaches the code below.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from common.bus import Bus
from common.connections import Connections
from common.crypto import constant_time_equals
from common.gateway.bodies import BodyTooLarge, read_limited
from common.gateway.cursors import Cursors
from common.gateway.echoes import BulkEchoes
from common.messages import Envelope
from common.payloads import ChangePayload, FetchPayload
from services.crm_gateway.callback_body import (
    BadCallback,
    Callback,
    Credentials,
    callback_of,
    credentials_of,
    decode,
)
from services.crm_gateway.modules import ENTITY_OF_MODULE
from services.crm_gateway.reads import derived_id

log = structlog.get_logger(__name__)

MAX_BODY = 1024 * 1024  # a callback carries ids only; 1 MiB is generous
PATH = "/webhooks/zoho"


async def read_body(request: web.Request) -> bytes:
    try:
        return await read_limited(request, MAX_BODY)
    except BodyTooLarge:
        raise BadCallback(413, "body too large") from None


def envelopes_of(tenant: str, callback: Callback) -> list[Envelope]:
    """``fetch.crm.<entity>`` for inserts and updates, ``change`` for deletes."""
    entity = ENTITY_OF_MODULE.get(callback.module)
    ids = [i for i in callback.ids if i.strip()]
    if entity is None or not ids:
        return []  # a module the sync does not follow: acknowledge, do nothing
    delivery = "|".join(
        [
            tenant,
            callback.channel_id,
            str(callback.server_time),
            callback.module,
            callback.operation,
            ",".join(sorted(ids)),
        ]
    )
    if callback.operation == "delete":
        return [
            Envelope(
                event_id=derived_id("zoho-callback", delivery, record_id),
                kind="change",
                tenant=tenant,
                system="crm",
                entity=entity,
                external_id=record_id,
                deleted=True,
                payload=ChangePayload(record={}, source="webhook", forced=False).wire(),
            )
            for record_id in ids
        ]
    return [
        Envelope(
            event_id=derived_id("zoho-callback", delivery),
            kind="fetch",
            tenant=tenant,
            system="crm",
            entity=entity,
            payload=FetchPayload(ids=ids, source="webhook").wire(),
        )
    ]


def webhook_route(
    connections: Connections,
    bus: Bus,
    echoes: BulkEchoes,
    cursors: Cursors | None = None,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def receive(request: web.Request) -> web.Response:
        try:
            data = decode(await read_body(request))
            tenant = await verified_tenant(connections, credentials_of(data))
            callback = callback_of(data)
        except BadCallback as exc:
            log.warning("zoho_callback_refused", status=exc.status, reason=str(exc))
            return web.json_response({"error": str(exc)}, status=exc.status)
        outgoing = echoes.sorted_fetches(envelopes_of(tenant, callback))
        await bus.publish_many(outgoing)  # raises → 500 → Zoho delivers again
        if cursors is not None:  # the console's "last webhook"; never raises
            for entity in sorted({message.entity for message in outgoing}):
                await cursors.note_webhook(tenant, "crm", entity)
        log.info(
            "zoho_callback",
            tenant=tenant,
            module=callback.module,
            operation=callback.operation,
            published=len(outgoing),
        )
        return web.json_response({"status": "ok"})

    return receive


async def verified_tenant(connections: Connections, credentials: Credentials) -> str:
    connection = await connections.by_channel(credentials.channel_id)
    side = connection.crm if connection else None
    expected = (
        side.channel_token.get_secret_value() if side and side.channel_token else ""
    )
    # Compared even when the channel is unknown, so timing tells nothing.
    matches = constant_time_equals(credentials.token, expected or uuid.uuid4().hex)
    if connection is None or not expected or not matches:
        raise BadCallback(401, "unknown channel or wrong token")
    return connection.tenant
