"""OAuth: authorize redirect, code exchange, refresh, revoke, the 200-with-error
quirk, the 401 body, expiry and data-centre domains."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.sandbox


async def authorize(zoho, creds, **extra):
    params = {
        "client_id": creds["client_id"],
        "response_type": "code",
        "redirect_uri": creds["redirect_uri"],
        "scope": "ZohoCRM.modules.ALL",
        "access_type": "offline",
        "state": "xyz",
        **extra,
    }
    reply = await zoho.call("GET", "/oauth/v2/auth", params=params, auth=False)
    assert reply.status == 302
    location = urlsplit(reply.headers["Location"])
    return location, {k: v[0] for k, v in parse_qs(location.query).items()}


async def exchange(zoho, creds, **form):
    base = {"client_id": creds["client_id"], "client_secret": creds["client_secret"]}
    reply = await zoho.call(
        "POST", "/oauth/v2/token", data={**base, **form}, auth=False
    )
    assert reply.status == 200
    return reply.body


async def test_authorize_redirects_with_code_location_and_accounts_server(zoho):
    creds = await zoho.reset(location="eu")
    location, query = await authorize(zoho, creds)
    assert (
        f"{location.scheme}://{location.netloc}{location.path}" == creds["redirect_uri"]
    )
    assert query["location"] == "eu"
    assert query["accounts-server"] == creds["accounts_server"]
    assert query["state"] == "xyz"
    assert query["code"].startswith("1000.")


async def test_code_exchange_gives_tokens_and_api_domain(zoho):
    creds = await zoho.reset()
    _, query = await authorize(zoho, creds)
    tokens = await exchange(
        zoho,
        creds,
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=creds["redirect_uri"],
    )
    assert set(tokens) >= {"access_token", "refresh_token", "api_domain", "expires_in"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["api_domain"] == zoho.base
    zoho.creds = {**creds, "access_token": tokens["access_token"]}
    reply = await zoho.call("GET", "/crm/v8/Contacts/actions/count")
    assert reply.status == 200
    assert reply.body == {"count": 0}


async def test_code_is_single_use_and_bad_code_is_http_200_error(zoho):
    creds = await zoho.reset()
    _, query = await authorize(zoho, creds)
    form = {"grant_type": "authorization_code", "code": query["code"]}
    assert "access_token" in await exchange(zoho, creds, **form)
    assert await exchange(zoho, creds, **form) == {"error": "invalid_code"}
    assert await exchange(
        zoho, creds, grant_type="authorization_code", code="nope"
    ) == {"error": "invalid_code"}


async def test_online_access_type_gives_no_refresh_token(zoho):
    creds = await zoho.reset()
    _, query = await authorize(zoho, creds, access_type="online")
    tokens = await exchange(
        zoho, creds, grant_type="authorization_code", code=query["code"]
    )
    assert "refresh_token" not in tokens


async def test_refresh_does_not_rotate_and_bad_secret_is_invalid_client(zoho):
    creds = await zoho.reset()
    form = {"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]}
    first = await exchange(zoho, creds, **form)
    second = await exchange(zoho, creds, **form)
    assert "refresh_token" not in first
    assert first["access_token"] != second["access_token"]
    assert first["api_domain"] == creds["api_domain"]
    reply = await zoho.call(
        "POST",
        "/oauth/v2/token",
        params={**form, "client_id": creds["client_id"], "client_secret": "wrong"},
        auth=False,
    )
    assert (reply.status, reply.body) == (200, {"error": "invalid_client"})


async def test_unknown_and_revoked_refresh_tokens_give_invalid_code(zoho):
    creds = await zoho.reset()
    unknown = await exchange(
        zoho, creds, grant_type="refresh_token", refresh_token="1000.nope"
    )
    assert unknown == {"error": "invalid_code"}
    reply = await zoho.call(
        "POST",
        "/oauth/v2/token/revoke",
        params={"token": creds["refresh_token"]},
        auth=False,
    )
    assert reply.status == 200
    revoked = await exchange(
        zoho, creds, grant_type="refresh_token", refresh_token=creds["refresh_token"]
    )
    assert revoked == {"error": "invalid_code"}
    # Access tokens minted from a revoked refresh token die with it.
    assert (await zoho.call("GET", "/crm/v8/Contacts/actions/count")).status == 401


async def test_bad_token_gets_the_real_401_body(zoho, zoho_fixture):
    await zoho.reset()
    reply = await zoho.call(
        "GET",
        "/crm/v8/Contacts?fields=Last_Name",
        auth=False,
        headers={"Authorization": "Zoho-oauthtoken 1000.bad"},
    )
    assert reply.status == 401
    assert reply.body == zoho_fixture("error.invalid_token.json")


async def test_bearer_scheme_and_missing_header_are_refused(zoho):
    creds = await zoho.reset()
    bearer = {"Authorization": f"Bearer {creds['access_token']}"}
    reply = await zoho.call(
        "GET", "/crm/v8/Contacts/actions/count", auth=False, headers=bearer
    )
    assert reply.body["code"] == "INVALID_TOKEN"
    reply = await zoho.call("GET", "/crm/v8/Contacts/actions/count", auth=False)
    assert (reply.status, reply.body["code"]) == (401, "AUTHENTICATION_FAILURE")


async def test_access_token_expires_after_an_hour(zoho):
    await zoho.reset()
    assert (await zoho.call("GET", "/crm/v8/Contacts/actions/count")).status == 200
    await zoho.call(
        "POST", "/_sandbox/clock", json={"advance_seconds": 3599}, auth=False
    )
    assert (await zoho.call("GET", "/crm/v8/Contacts/actions/count")).status == 200
    await zoho.call("POST", "/_sandbox/clock", json={"advance_seconds": 2}, auth=False)
    reply = await zoho.call("GET", "/crm/v8/Contacts/actions/count")
    assert (reply.status, reply.body["code"]) == (401, "INVALID_TOKEN")


async def test_admin_can_expire_tokens(zoho):
    await zoho.reset()
    reply = await zoho.call("POST", "/_sandbox/tokens/expire", json={}, auth=False)
    assert reply.body["expired"] >= 1
    assert (await zoho.call("GET", "/crm/v8/Contacts/actions/count")).status == 401


async def test_token_from_another_data_centre_domain_is_refused(zoho):
    port = zoho.server.port
    eu_domain = f"http://localhost:{port}"
    creds = await zoho.reset(location="eu", api_domain=eu_domain)
    tokens = await exchange(
        zoho, creds, grant_type="refresh_token", refresh_token=creds["refresh_token"]
    )
    assert tokens["api_domain"] == eu_domain
    zoho.creds["access_token"] = tokens["access_token"]
    wrong_host = await zoho.call("GET", "/crm/v8/Contacts/actions/count")
    assert wrong_host.status == 401
    right_host = await zoho.call("GET", f"{eu_domain}/crm/v8/Contacts/actions/count")
    assert right_host.status == 200
