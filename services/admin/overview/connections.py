"""Each tenant's connection to both sides, as an operator checks it: status,
token expiry, whether refresh works, how to re-connect, and per entity the
last poll and the last webhook. Built field by field from what is safe to
show: no secret (token, client secret, webhook token) is ever copied out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from common.connections import Connection, Connections, SystemCredentials
from common.crypto import SecretKeyMissing, TokenCipher
from common.entities import ENTITIES
from common.gateway.cursors import CURSORS
from common.record_states import SIDE
from common.settings import Settings
from common.store import Store
from common.store.times import from_stored, to_stored
from services.admin.http.errors import Unavailable

# The gateways' OAuth start routes (services/crm_gateway/service.py START_PATH,
# services/qbo_gateway/service.py); each is served where its callback is.
START_PATHS = {"crm": "/oauth/zoho/start", "qbo": "/oauth/qbo/start"}


def cipher_of(settings: Settings) -> TokenCipher:
    try:
        return TokenCipher(settings.secret_key, settings.secret_key_previous)
    except SecretKeyMissing as exc:
        raise Unavailable(f"cannot read the connections: {exc}") from exc


async def read_connections(store: Store, settings: Settings) -> list[Connection]:
    try:
        return await Connections(store, cipher_of(settings)).all()
    except ValueError as exc:  # a secret this SECRET_KEY cannot decrypt
        raise Unavailable(f"cannot read the connections: {exc}") from exc


def reconnect(settings: Settings, tenant: str, system: str) -> dict[str, Any]:
    """Where a person re-authorises a side: the gateway's OAuth start route,
    at the address its OAuth callback is served from."""
    if system == "qbo":
        configured = bool(settings.qbo_client_id and settings.qbo_client_secret)
        callback, names = (
            settings.qbo_redirect_uri,
            "QBO_CLIENT_ID and QBO_CLIENT_SECRET",
        )
    else:
        configured = bool(settings.zoho_client_id and settings.zoho_client_secret)
        callback = settings.zoho_redirect_uri
        names = "ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET"
    parts = urlsplit(callback)
    url = urlunsplit(
        (
            parts.scheme,
            parts.netloc,
            START_PATHS[system],
            urlencode({"tenant": tenant}),
            "",
        )
    )
    if configured:
        return {
            "url": url,
            "instructions": f"open this link and authorise {SIDE[system]} again",
        }
    return {
        "url": None,
        "instructions": (
            f"{names} are not set: set them for the {SIDE[system]} gateway, then "
            f"open {url}; or save the connection again with the command that "
            "made it (`make run` re-connects the demo sandboxes)"
        ),
    }


def _time(value: Any) -> str | None:
    if value is None:
        return None
    return to_stored(from_stored(value))


def _side(
    settings: Settings,
    tenant: str,
    system: str,
    side: SystemCredentials | None,
    cursors: Mapping[str, Mapping[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    entities = [
        {
            "entity": entity,
            "last_poll": _time(poll.get("polled_at") or poll.get("updated_at")),
            "watermark": _time(poll.get("watermark")),
            "last_webhook": _time(webhook.get("at")),
        }
        for entity in ENTITIES[system]
        # QuickBooks' change feed polls every entity at once: its cursor is "*".
        for poll in [
            cursors.get(f"poll:{tenant}:{system}:{entity}")
            or cursors.get(f"poll:{tenant}:{system}:*")
            or {}
        ]
        for webhook in [cursors.get(f"webhook:{tenant}:{system}:{entity}", {})]
    ]
    if side is None:
        return {
            "system": system,
            "name": SIDE[system],
            "status": "disconnected",
            "status_reason": f"no {SIDE[system]} connection is saved",
            "access_expires_at": None,
            "access_valid_seconds": None,
            "refresh": "no connection",
            "reconnect": reconnect(settings, tenant, system),
            "account": None,
            "entities": entities,
        }
    if side.status == "needs_reauth":
        refresh = "refused: authorise again"
    elif side.refresh_token is None:
        refresh = "no refresh token"
    else:
        refresh = "works" if side.status == "active" else "not tried"
    expires = side.access_expires_at
    return {
        "system": system,
        "name": SIDE[system],
        "status": side.status,
        "status_reason": side.status_reason,
        "access_expires_at": to_stored(expires) if expires else None,
        "access_valid_seconds": round(side.access_token_valid_for(now))
        if side.access_token is not None and expires is not None
        else None,
        "refresh": refresh,
        "reconnect": reconnect(settings, tenant, system)
        if side.status != "active"
        else None,
        # Which company or org: identifiers, not secrets.
        "account": side.realm_id if system == "qbo" else side.api_base,
        "entities": entities,
    }


async def connection_status(store: Store, settings: Settings) -> list[dict[str, Any]]:
    connections = await read_connections(store, settings)
    kinds = {"kind": {"$in": ["poll", "webhook"]}}
    fields = {"updated_at": 1, "watermark": 1, "at": 1}
    cursors = {
        str(document["_id"]): document
        async for document in store.db[CURSORS].find(kinds, fields)
    }
    now = datetime.now(UTC)
    return [
        {
            "tenant": connection.tenant,
            "sides": [
                _side(settings, connection.tenant, "crm", connection.crm, cursors, now),
                _side(settings, connection.tenant, "qbo", connection.qbo, cursors, now),
            ],
        }
        for connection in sorted(connections, key=lambda c: c.tenant)
    ]
