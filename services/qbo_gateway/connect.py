"""Connecting a QuickBooks company: OAuth start and callback routes.

``GET /oauth/qbo/start?tenant=acme`` redirects a person to Intuit's consent
page; Intuit redirects back to ``/oauth/qbo/callback`` with ``code``, ``state``
and ``realmId``. The code is exchanged for tokens, which are stored
encrypted with the realm, and any work parked while the connection needed
re-authorisation is published again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import structlog
from aiohttp import web
from pydantic import SecretStr

from common.bus import Bus
from common.connections import Connection, Connections, SystemCredentials
from common.gateway.parking import ParkedWork
from common.settings import Settings
from common.store import Store
from common.store.times import stored_now
from services.qbo_gateway import oauth

log = structlog.get_logger(__name__)

OAUTH_STATES = "oauth_states"
STATE_TTL = timedelta(minutes=15)


class QboConnect:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        connections: Connections,
        parked: ParkedWork,
        bus: Bus,
        session: aiohttp.ClientSession,
    ) -> None:
        self.settings = settings
        self.states = store.db[OAUTH_STATES]
        self.connections = connections
        self.parked = parked
        self.bus = bus
        self.session = session

    def _app_credentials(self) -> tuple[str, str]:
        if not self.settings.qbo_client_id or self.settings.qbo_client_secret is None:
            raise web.HTTPServiceUnavailable(
                text="QBO_CLIENT_ID and QBO_CLIENT_SECRET are not configured"
            )
        return (
            self.settings.qbo_client_id,
            self.settings.qbo_client_secret.get_secret_value(),
        )

    async def start(self, request: web.Request) -> web.Response:
        tenant = request.query.get("tenant", "").strip()
        if not tenant:
            raise web.HTTPBadRequest(text="?tenant=<name> is required")
        client_id, _ = self._app_credentials()
        url, state = oauth.authorize_url(
            self.settings.qbo_authorize_url, client_id, self.settings.qbo_redirect_uri
        )
        await self.states.insert_one(
            {"_id": state, "tenant": tenant, "system": "qbo", "at": stored_now()}
        )
        raise web.HTTPFound(url)

    async def callback(self, request: web.Request) -> web.Response:
        query = request.query
        if "error" in query:
            raise web.HTTPBadRequest(text=f"authorisation refused: {query['error']}")
        state = await self.states.find_one_and_delete({"_id": query.get("state", "")})
        if state is None:
            raise web.HTTPBadRequest(text="unknown or used state; start again")
        try:
            realm = oauth.clean_realm_id(query.get("realmId", ""))
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        client_id, client_secret = self._app_credentials()
        body = await oauth.request_token(
            self.session,
            self.settings.qbo_token_url,
            client_id,
            client_secret,
            {
                "grant_type": "authorization_code",
                "code": query.get("code", ""),
                "redirect_uri": self.settings.qbo_redirect_uri,
            },
        )
        tenant = str(state["tenant"])
        await self.save(tenant, realm, body)
        return web.json_response({"connected": tenant, "realm_id": realm})

    async def save(
        self, tenant: str, realm: str, token_body: dict[str, object]
    ) -> None:
        client_id, client_secret = self._app_credentials()
        verifier = self.settings.qbo_webhook_verifier_token
        side = SystemCredentials(
            client_id=client_id,
            client_secret=SecretStr(client_secret),
            refresh_token=SecretStr(str(token_body["refresh_token"])),
            access_token=SecretStr(str(token_body["access_token"])),
            access_expires_at=datetime.now(UTC)
            + timedelta(seconds=float(str(token_body.get("expires_in", 3600)))),
            api_base=self.settings.qbo_api_base,
            token_url=self.settings.qbo_token_url,
            realm_id=realm,
            verifier_token=verifier,
        )
        existing = await self.connections.get(tenant)
        if existing is None:
            await self.connections.save(Connection(tenant=tenant, qbo=side))
        else:
            side = side.model_copy(
                update={
                    "token_version": (existing.qbo.token_version + 1)
                    if existing.qbo
                    else 0
                }
            )
            await self.connections.save_side(tenant, "qbo", side)
        resumed = await self.parked.resume(tenant, "qbo", self.bus)
        log.info("qbo_connected", tenant=tenant, realm_id=realm, resumed=resumed)
