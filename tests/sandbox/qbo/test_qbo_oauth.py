"""OAuth 2.0 as Intuit runs it, and Bearer auth on every API call."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import pytest

if TYPE_CHECKING:
    from conftest import Qbo

pytestmark = pytest.mark.sandbox

REDIRECT = "https://app.example.com/qbo/callback"
SCOPE = "com.intuit.quickbooks.accounting openid"


def basic(creds: dict[str, Any], secret: str | None = None) -> dict[str, str]:
    pair = f"{creds['client_id']}:{secret or creds['client_secret']}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


async def token_call(qbo: Qbo, form: dict[str, str], secret: str | None = None) -> Any:
    response = await qbo.session.post(
        f"{qbo.base}/oauth2/v1/tokens/bearer",
        data=form,
        headers={**basic(qbo.creds, secret), "Accept": "application/json"},
    )
    return response.status, await response.json()


async def authorize(qbo: Qbo, state: str = "xyz") -> dict[str, list[str]]:
    response = await qbo.session.get(
        f"{qbo.base}/connect/oauth2",
        params={
            "client_id": qbo.creds["client_id"],
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT,
            "state": state,
        },
        allow_redirects=False,
    )
    assert response.status == 302
    location = urlparse(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


async def test_authorize_redirects_with_code_state_and_realm(qbo: Qbo) -> None:
    params = await authorize(qbo, state="s-42")
    assert params["state"] == ["s-42"]
    assert params["realmId"] == [qbo.realm]
    status, body = await token_call(
        qbo,
        {
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": REDIRECT,
        },
    )
    assert status == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] > 0
    response = await qbo.session.get(
        qbo.url(f"companyinfo/{qbo.realm}"), headers=qbo.headers(body["access_token"])
    )
    assert response.status == 200


async def test_authorization_code_is_single_use(qbo: Qbo) -> None:
    code = (await authorize(qbo))["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert (await token_call(qbo, form))[0] == 200
    assert await token_call(qbo, form) == (400, {"error": "invalid_grant"})


async def test_code_redeemed_with_other_redirect_uri_fails(qbo: Qbo) -> None:
    code = (await authorize(qbo))["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT + "x",
    }
    assert await token_call(qbo, form) == (400, {"error": "invalid_grant"})


async def test_refresh_rotates_and_old_refresh_token_fails(qbo: Qbo) -> None:
    first = qbo.creds["refresh_token"]
    status, body = await token_call(
        qbo, {"grant_type": "refresh_token", "refresh_token": first}
    )
    assert status == 200
    assert body["refresh_token"] != first
    assert body["access_token"] != qbo.creds["access_token"]
    again = await token_call(
        qbo, {"grant_type": "refresh_token", "refresh_token": first}
    )
    assert again == (400, {"error": "invalid_grant"})
    newest = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    assert (await token_call(qbo, newest))[0] == 200


async def test_unknown_refresh_token_and_bad_client(qbo: Qbo) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": "AB11nonsense"}
    assert await token_call(qbo, form) == (400, {"error": "invalid_grant"})
    real = {"grant_type": "refresh_token", "refresh_token": qbo.creds["refresh_token"]}
    assert await token_call(qbo, real, secret="wrong") == (
        401,
        {"error": "invalid_client"},
    )
    status, body = await token_call(qbo, {"grant_type": "password"})
    assert (status, body) == (400, {"error": "unsupported_grant_type"})


async def test_hard_expiry_header_is_opt_in(qbo: Qbo) -> None:
    response = await qbo.session.post(
        f"{qbo.base}/oauth2/v1/tokens/bearer",
        data={
            "grant_type": "refresh_token",
            "refresh_token": qbo.creds["refresh_token"],
        },
        headers={**basic(qbo.creds), "x-include-refresh-token-hard-expires-in": "true"},
    )
    body = await response.json()
    assert 0 < body["x_refresh_token_hard_expires_in"] <= 5 * 365 * 24 * 3600


async def assert_401(qbo: Qbo, token: str, detail_starts: str) -> None:
    response = await qbo.session.get(qbo.url("customer/1"), headers=qbo.headers(token))
    assert response.status == 401
    assert (
        response.headers["WWW-Authenticate"]
        == 'Bearer realm="Intuit", error="invalid_token"'
    )
    body = await response.json()
    error = body["fault"]["error"][0]
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert error["code"] == "3200"
    assert (
        error["message"]
        == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    )
    assert error["detail"].startswith(detail_starts)
    assert isinstance(body["time"], int)


async def test_auth_fault_has_the_real_shape(qbo: Qbo, fixture: Any) -> None:
    sample = fixture("fault.3200.authentication.json")
    response = await qbo.session.get(
        qbo.url("customer/1"), headers=qbo.headers("short")
    )
    body = await response.json()
    assert set(body) == set(sample)
    assert set(body["fault"]["error"][0]) == set(sample["fault"]["error"][0])
    assert body["fault"]["error"][0]["detail"] == sample["fault"]["error"][0]["detail"]


async def test_expired_and_unknown_tokens_are_refused(qbo: Qbo) -> None:
    await assert_401(qbo, "x" * 20, "Malformed bearer token")
    await assert_401(qbo, "y" * 300, "Token revoked or unknown")
    await qbo.admin("clock", {"advance_seconds": 3601})
    await assert_401(qbo, qbo.creds["access_token"], "Token expired")
    body = await qbo.admin("tokens/expire", {"kind": "refresh"})
    assert body["expired"] >= 1
    form = {"grant_type": "refresh_token", "refresh_token": qbo.creds["refresh_token"]}
    assert await token_call(qbo, form) == (400, {"error": "invalid_grant"})


async def test_missing_header_and_other_realm(qbo: Qbo) -> None:
    response = await qbo.session.get(qbo.url("customer/1"))
    assert response.status == 401
    other = await qbo.admin("companies", {"seed": 2, "customers": 1})
    response = await qbo.session.get(
        f"{qbo.base}/v3/company/{other['realm_id']}/customer/1", headers=qbo.headers()
    )
    assert response.status == 403
    assert (await response.json())["fault"]["error"][0]["code"] == "3100"


async def test_revoke_kills_the_grant(qbo: Qbo) -> None:
    response = await qbo.session.post(
        f"{qbo.base}/v2/oauth2/tokens/revoke",
        json={"token": qbo.creds["refresh_token"]},
        headers=basic(qbo.creds),
    )
    assert response.status == 200
    await assert_401(qbo, qbo.creds["access_token"], "Token revoked")
