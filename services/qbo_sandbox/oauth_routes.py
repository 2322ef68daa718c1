"""Intuit's OAuth 2.0 endpoints: authorize (auto-approved), token, revoke."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlencode

from aiohttp import web

from services.qbo_sandbox.keys import WORLD
from services.qbo_sandbox.tokens import TokenError
from services.qbo_sandbox.world import SCOPE, OAuthApp, World


def oauth_error(code: str, status: int = 400, description: str = "") -> web.Response:
    body = {"error": code}
    if description:
        body["error_description"] = description
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


def redirect_with(uri: str, params: dict[str, str]) -> web.HTTPFound:
    joiner = "&" if "?" in uri else "?"
    return web.HTTPFound(f"{uri}{joiner}{urlencode(params)}")


def registered(app: OAuthApp, redirect_uri: str) -> bool:
    return not app.redirect_uris or redirect_uri in app.redirect_uris


async def authorize(request: web.Request) -> web.StreamResponse:
    world = request.app[WORLD]
    query = request.query
    app = world.app
    if app is None or query.get("client_id") != app.client_id:
        return oauth_error("invalid_client", 400, "Unknown client_id")
    redirect_uri = query.get("redirect_uri", "")
    if not redirect_uri or not registered(app, redirect_uri):
        return oauth_error("invalid_request", 400, "redirect_uri is not registered")
    state = {"state": query["state"]} if "state" in query else {}
    if query.get("response_type") != "code":
        raise redirect_with(
            redirect_uri, {"error": "unsupported_response_type", **state}
        )
    scopes = query.get("scope", "").split()
    if SCOPE not in scopes:
        raise redirect_with(redirect_uri, {"error": "invalid_scope", **state})
    # A real user picks a company; the sandbox picks the newest one unless
    # the (sandbox-only) realmId parameter names another.
    realm_id = query.get("realmId") or world.default_realm
    if realm_id not in world.companies:
        raise redirect_with(redirect_uri, {"error": "access_denied", **state})
    grant = world.tokens.new_grant(realm_id, app.client_id, " ".join(scopes))
    code = world.tokens.issue_code(grant, redirect_uri)
    raise redirect_with(redirect_uri, {"code": code, **state, "realmId": realm_id})


def client_of(request: web.Request, world: World) -> str | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or world.app is None:
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if client_id != world.app.client_id or secret != world.app.client_secret:
        return None
    return client_id


async def token(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    client_id = client_of(request, world)
    if client_id is None:
        return oauth_error("invalid_client", 401)
    form = await request.post()
    grant_type = str(form.get("grant_type", ""))
    try:
        if grant_type == "authorization_code":
            code, redirect_uri = form.get("code"), form.get("redirect_uri")
            if not code or not redirect_uri:
                return oauth_error("invalid_request")
            body = world.tokens.redeem_code(client_id, str(code), str(redirect_uri))
        elif grant_type == "refresh_token":
            refresh = form.get("refresh_token")
            if not refresh:
                return oauth_error("invalid_request")
            hard_cap = (
                request.headers.get("x-include-refresh-token-hard-expires-in") == "true"
            )
            body = world.tokens.rotate(client_id, str(refresh), hard_cap)
        else:
            return oauth_error("unsupported_grant_type")
    except TokenError as error:
        return oauth_error(error.code, error.status)
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def revoke(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    if client_of(request, world) is None:
        return oauth_error("invalid_client", 401)
    try:
        body = json.loads(await request.text())
    except ValueError:
        return oauth_error("invalid_request")
    world.tokens.revoke(str(body.get("token", "")))
    return web.Response(status=200)


async def discovery(request: web.Request) -> web.Response:
    """Intuit's OpenID discovery document, every endpoint on this host.

    intuit-oauth's `AuthClient` fetches it in its constructor (it takes the
    document's URL in place of an environment name) and reads its token,
    authorize and revoke endpoints from it. The userinfo and jwks endpoints
    are listed as Intuit lists them but not served (no OpenID Connect here).
    """
    base = f"{request.scheme}://{request.host}"
    return web.json_response(
        {
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
            "jwks_uri": f"{base}/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "client_secret_basic",
            ],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
    )


def add_routes(app: web.Application) -> None:
    for name in ("openid_configuration", "openid_sandbox_configuration"):
        app.router.add_get(f"/.well-known/{name}", discovery)
        app.router.add_get(f"/.well-known/{name}/", discovery)
    app.router.add_get("/connect/oauth2", authorize)
    app.router.add_post("/oauth2/v1/tokens/bearer", token)
    app.router.add_post("/v2/oauth2/tokens/revoke", revoke)
