"""GET /oauth/zoho/start: a person connects an org from a link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from pydantic import SecretStr

from common.connections import Connections
from common.crypto import TokenCipher
from common.runtime import ServiceRunner
from common.settings import Settings
from services.crm_gateway.service import build

from .conftest import Sandbox

pytestmark = pytest.mark.integration


async def test_start_sends_the_person_to_zohos_consent_page(
    zoho: Sandbox, settings: Settings
) -> None:
    configured = settings.model_copy(
        update={
            "zoho_client_id": zoho.creds["client_id"],
            "zoho_client_secret": SecretStr(zoho.creds["client_secret"]),
            "zoho_accounts_url": zoho.creds["accounts_server"],
            "zoho_redirect_uri": zoho.creds["redirect_uri"],
        }
    )
    runner = ServiceRunner("crm_gateway", configured, build)
    await runner.start(port=0)
    base = f"http://127.0.0.1:{runner.port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(
                f"{base}/oauth/zoho/start",
                params={"tenant": "newco"},
                allow_redirects=False,
            ) as reply:
                assert reply.status == 302
                location = urlsplit(reply.headers["Location"])
            query = parse_qs(location.query)
            assert location.path == "/oauth/v2/auth"
            assert query["client_id"] == [zoho.creds["client_id"]]
            assert query["access_type"] == ["offline"]
            assert query["state"][0]
            # Zoho approves and sends the person back with a code.
            async with http.get(
                reply.headers["Location"], allow_redirects=False
            ) as consent:
                assert consent.status == 302
                back = urlsplit(consent.headers["Location"])
            assert back.path == "/oauth/zoho/callback"
            async with http.get(f"{base}{back.path}?{back.query}") as done:
                assert done.status == 200, await done.text()
            assert runner.context is not None
            connections = Connections(
                runner.context.store, TokenCipher(configured.secret_key)
            )
            connected = (await connections.require("newco")).side("crm")
            assert connected.api_base == zoho.creds["api_domain"]
            assert connected.refresh_token is not None
            async with http.get(f"{base}/oauth/zoho/start") as missing:
                assert missing.status == 400
    finally:
        await runner.stop()


async def test_start_without_app_credentials_says_what_is_missing(
    settings: Settings,
) -> None:
    runner = ServiceRunner("crm_gateway", settings, build)
    await runner.start(port=0)
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"http://127.0.0.1:{runner.port}/oauth/zoho/start",
                params={"tenant": "t"},
            ) as reply,
        ):
            assert reply.status == 503
            assert "ZOHO_CLIENT_ID" in await reply.text()
    finally:
        await runner.stop()
