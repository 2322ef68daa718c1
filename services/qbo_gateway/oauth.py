"""Intuit OAuth 2.0: the token endpoint, the authorise URL, the callback.

Intuit rotates refresh tokens (store the newest; the old one stops working)
and answers a spent or revoked one with 400 ``invalid_grant``. The company
id (realmId) arrives as a query parameter of the callback, so nobody has to
paste it.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import urlencode

import aiohttp

from common.connections import SystemCredentials
from common.gateway.tokens import InvalidGrant, Refresher, TokenGrant

SCOPE = "com.intuit.quickbooks.accounting"
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


def basic_auth(client_id: str, client_secret: str) -> str:
    pair = f"{client_id}:{client_secret}".encode()
    return "Basic " + base64.b64encode(pair).decode()


class TokenEndpointError(Exception):
    pass


async def request_token(
    session: aiohttp.ClientSession,
    token_url: str,
    client_id: str,
    client_secret: str,
    form: dict[str, str],
) -> dict[str, Any]:
    async with session.post(
        token_url,
        data=form,
        headers={
            "Accept": "application/json",
            "Authorization": basic_auth(client_id, client_secret),
        },
        timeout=TIMEOUT,
    ) as response:
        body = await response.json(content_type=None)
        if response.status == 400 and body.get("error") == "invalid_grant":
            raise InvalidGrant("invalid_grant")
        if response.status >= 400 or "access_token" not in body:
            raise TokenEndpointError(
                f"token endpoint answered {response.status}: {body.get('error')}"
            )
        return dict(body)


def refresher(session: aiohttp.ClientSession) -> Refresher:
    async def refresh(side: SystemCredentials) -> TokenGrant:
        if side.refresh_token is None:
            raise InvalidGrant("no refresh token stored")
        body = await request_token(
            session,
            side.token_url,
            side.client_id,
            side.client_secret.get_secret_value(),
            {
                "grant_type": "refresh_token",
                "refresh_token": side.refresh_token.get_secret_value(),
            },
        )
        return TokenGrant(
            access_token=body["access_token"],
            expires_in=float(body.get("expires_in", 3600)),
            refresh_token=body.get("refresh_token"),
        )

    return refresh


def authorize_url(
    authorize_endpoint: str, client_id: str, redirect_uri: str
) -> tuple[str, str]:
    """The URL a person opens to connect a company, and its anti-CSRF state."""
    state = secrets.token_urlsafe(24)
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{authorize_endpoint}?{query}", state


def clean_realm_id(value: str) -> str:
    """A pasted company id: trimmed, digits only."""
    realm = value.strip()
    if not realm.isdigit() or not 1 <= len(realm) <= 32:
        raise ValueError(f"not a QuickBooks company id: {value!r} (digits only)")
    return realm
