"""Zoho Accounts OAuth: the token call, the authorise URL and its callback.

Zoho answers token errors with HTTP 200 and ``{"error": ...}`` in the body,
and never rotates the refresh token. Each data centre has its own accounts
server; the redirect names it (``accounts-server``) and the token answer
names the API domain to call (``api_domain``).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import structlog
from aiohttp import web
from pydantic import SecretStr

from common.connections import Connections, SystemCredentials
from common.crypto import TokenCipher
from common.errors import RetriableError
from common.gateway.tokens import InvalidGrant, TokenGrant
from common.settings import Settings
from common.store import Store
from common.store.times import stored_now

log = structlog.get_logger(__name__)

SCOPES = (
    "ZohoCRM.modules.ALL,ZohoCRM.settings.fields.READ,"
    "ZohoCRM.notifications.ALL,ZohoCRM.coql.READ,ZohoSearch.securesearch.READ"
)
# The refresh token was refused for good: a person must authorise again.
REFUSED = ("invalid_code", "invalid_grant", "invalid_client", "access_denied")
# Known data centres; a callback naming another accounts server is refused,
# so the client secret is never sent to a host an attacker chose.
ZOHO_ACCOUNTS = (
    "https://accounts.zoho.com",
    "https://accounts.zoho.eu",
    "https://accounts.zoho.in",
    "https://accounts.zoho.com.au",
    "https://accounts.zoho.jp",
    "https://accounts.zoho.com.cn",
    "https://accounts.zohocloud.ca",
    "https://accounts.zoho.sa",
    "https://accounts.zoho.uk",
)
PENDING = "oauth_pending"
PENDING_SECONDS = 900
TOKEN_PATH = "/oauth/v2/token"


def token_url(accounts_server: str) -> str:
    return accounts_server.rstrip("/") + TOKEN_PATH


class ZohoOAuth:
    """The token endpoint, over one aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def _post(self, url: str, form: dict[str, str]) -> dict[str, Any]:
        try:
            async with self.session.post(url, data=form) as response:
                if response.status >= 500 or response.status == 429:
                    raise RetriableError(f"zoho token endpoint: HTTP {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise RetriableError(f"zoho token endpoint: {exc!r}") from exc
        if not isinstance(body, dict):
            raise RetriableError("zoho token endpoint: unexpected answer")
        return body

    async def refresh(self, side: SystemCredentials) -> TokenGrant:
        """The ``Refresher`` for ``TokenManager``."""
        if side.refresh_token is None:
            raise InvalidGrant("no refresh token stored")
        body = await self._post(
            side.token_url,
            {
                "grant_type": "refresh_token",
                "client_id": side.client_id,
                "client_secret": side.client_secret.get_secret_value(),
                "refresh_token": side.refresh_token.get_secret_value(),
            },
        )
        return _grant(body)

    async def exchange_code(
        self,
        accounts_server: str,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        code: str,
    ) -> dict[str, Any]:
        body = await self._post(
            token_url(accounts_server),
            {
                "grant_type": "authorization_code",
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        _grant(body)  # raises on an error answer
        if not body.get("refresh_token"):
            raise InvalidGrant("no refresh token: authorise with access_type=offline")
        return body


def _grant(body: dict[str, Any]) -> TokenGrant:
    error = body.get("error")
    if error:
        if error in REFUSED:
            raise InvalidGrant(str(error))
        raise RetriableError(f"zoho token endpoint: {error}")
    if not body.get("access_token"):
        raise RetriableError("zoho token endpoint: no access_token in the answer")
    return TokenGrant(
        access_token=str(body["access_token"]),
        expires_in=float(body.get("expires_in") or 3600),
        refresh_token=None,  # Zoho never rotates it
    )


class Authorisations:
    """Pending authorisations (the ``state`` of the OAuth redirect)."""

    def __init__(self, store: Store, cipher: TokenCipher) -> None:
        self._collection = store.db[PENDING]
        self._cipher = cipher

    async def begin(
        self,
        tenant: str,
        *,
        client_id: str,
        client_secret: str,
        accounts_server: str,
        redirect_uri: str,
    ) -> str:
        """The URL to send the person to; its ``state`` is remembered."""
        state = secrets.token_urlsafe(24)
        await self._collection.insert_one(
            {
                "_id": state,
                "tenant": tenant,
                "client_id": client_id,
                "client_secret": self._cipher.encrypt(client_secret),
                "accounts_server": accounts_server.rstrip("/"),
                "redirect_uri": redirect_uri,
                "created_at": stored_now(),
                "expires": (
                    datetime.now(UTC) + timedelta(seconds=PENDING_SECONDS)
                ).timestamp(),
            }
        )
        query = urlencode(
            {
                "scope": SCOPES,
                "client_id": client_id,
                "response_type": "code",
                "access_type": "offline",
                "prompt": "consent",
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{accounts_server.rstrip('/')}/oauth/v2/auth?{query}"

    async def take(self, state: str) -> dict[str, Any] | None:
        document = await self._collection.find_one_and_delete({"_id": state})
        if document is None or document["expires"] < datetime.now(UTC).timestamp():
            return None
        document["client_secret"] = self._cipher.decrypt(document["client_secret"])
        return document


Connected = Callable[[str], Awaitable[None]]


def start_route(
    settings: Settings, authorisations: Authorisations
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``GET /oauth/zoho/start?tenant=T``: off to Zoho's consent page."""

    async def start(request: web.Request) -> web.Response:
        tenant = request.query.get("tenant", "").strip()
        if not tenant:
            return web.Response(status=400, text="?tenant=<name> is required")
        if not settings.zoho_client_id or settings.zoho_client_secret is None:
            return web.Response(
                status=503, text="ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET are not set"
            )
        url = await authorisations.begin(
            tenant,
            client_id=settings.zoho_client_id,
            client_secret=settings.zoho_client_secret.get_secret_value(),
            accounts_server=settings.zoho_accounts_url,
            redirect_uri=settings.zoho_redirect_uri,
        )
        raise web.HTTPFound(url)

    return start


def callback_route(
    oauth: ZohoOAuth,
    authorisations: Authorisations,
    connections: Connections,
    on_connected: Connected,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``GET /oauth/zoho/callback?code=&accounts-server=&location=&state=``."""

    async def callback(request: web.Request) -> web.Response:
        query = request.query
        pending = await authorisations.take(query.get("state", ""))
        if pending is None:
            return web.Response(status=400, text="unknown or expired state")
        if "error" in query or not query.get("code"):
            return web.Response(
                status=400, text=f"not authorised: {query.get('error')}"
            )
        accounts = (query.get("accounts-server") or pending["accounts_server"]).rstrip(
            "/"
        )
        if accounts != pending["accounts_server"] and accounts not in ZOHO_ACCOUNTS:
            return web.Response(status=400, text="unknown accounts server")
        try:
            body = await oauth.exchange_code(
                accounts,
                client_id=pending["client_id"],
                client_secret=pending["client_secret"],
                redirect_uri=pending["redirect_uri"],
                code=query["code"],
            )
        except InvalidGrant as exc:
            return web.Response(status=400, text=f"code refused: {exc}")
        except RetriableError as exc:
            return web.Response(status=502, text=str(exc))
        tenant = pending["tenant"]
        await save_authorised(connections, tenant, pending, accounts, body)
        log.info("zoho_connected", tenant=tenant, api_domain=body.get("api_domain"))
        await on_connected(tenant)
        return web.Response(text="Zoho CRM connected; you can close this window.")

    return callback


async def save_authorised(
    connections: Connections,
    tenant: str,
    pending: dict[str, Any],
    accounts: str,
    body: dict[str, Any],
) -> None:
    """Store the crm side (tokens encrypted by Connections), keeping the channel."""
    existing = await connections.get(tenant)
    old = existing.crm if existing else None
    api_domain = str(body.get("api_domain") or "")
    if not urlsplit(api_domain).scheme:
        raise RetriableError("zoho token answer names no api_domain")
    side = SystemCredentials(
        client_id=pending["client_id"],
        client_secret=SecretStr(pending["client_secret"]),
        refresh_token=SecretStr(str(body["refresh_token"])),
        access_token=SecretStr(str(body["access_token"])),
        access_expires_at=datetime.now(UTC)
        + timedelta(seconds=float(body.get("expires_in") or 3600)),
        token_version=(old.token_version + 1) if old else 0,
        status="active",
        api_base=api_domain,
        token_url=token_url(accounts),
        accounts_server=accounts,
        channel_id=old.channel_id if old else None,
        channel_token=old.channel_token if old else None,
        channel_expires_at=old.channel_expires_at if old else None,
    )
    await connections.save_side(tenant, "crm", side)
