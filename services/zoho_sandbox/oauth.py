"""Zoho Accounts: the authorization and token endpoints.

Zoho answers token errors with HTTP 200 and `{"error": ...}` in the body, and
does not rotate the refresh token (a refresh returns only an access token)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .org import Org
from .state import SandboxState, state_of
from .tokens import ACCESS_TOKEN_SECONDS

DEFAULT_SCOPE = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL"


def _org_by_client(state: SandboxState, client_id: str | None) -> Org | None:
    for org in state.orgs.values():
        if org.client_id == client_id:
            return org
    return None


async def _params(request: web.Request) -> dict[str, str]:
    """Clients send these as a form body or as query parameters; Zoho takes both."""
    params = dict(request.query)
    if request.can_read_body:
        form = await request.post()
        params.update({k: str(v) for k, v in form.items()})
    return params


async def authorize(request: web.Request) -> web.Response:
    state = state_of(request)
    query = request.query
    org = _org_by_client(state, query.get("client_id"))
    if org is None:
        return web.Response(status=400, text="Invalid Client")
    redirect_uri = query.get("redirect_uri", org.redirect_uri)
    if redirect_uri != org.redirect_uri:
        return web.Response(status=400, text="Invalid Redirect Uri")
    if query.get("response_type", "code") != "code":
        return web.Response(status=400, text="Invalid Response Type")
    grant = {
        "redirect_uri": redirect_uri,
        "scope": query.get("scope", DEFAULT_SCOPE),
        "offline": query.get("access_type") == "offline",
    }
    code = state.tokens.issue_code(org.name, grant, state.clock.timestamp())
    answer = {"code": code, "location": org.location}
    answer["accounts-server"] = org.accounts_server
    if "state" in query:
        answer["state"] = query["state"]
    raise web.HTTPFound(f"{redirect_uri}?{urlencode(answer)}")


def _token_answer(org: Org, access: str, scope: str) -> dict[str, Any]:
    return {
        "access_token": access,
        "scope": scope,
        "api_domain": org.api_domain,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
    }


async def token(request: web.Request) -> web.Response:
    state = state_of(request)
    params = await _params(request)
    now = state.clock.timestamp()
    org = _org_by_client(state, params.get("client_id"))
    if org is None or params.get("client_secret") != org.client_secret:
        return web.json_response({"error": "invalid_client"})
    grant_type = params.get("grant_type")
    if grant_type == "authorization_code":
        grant = state.tokens.take_code(params.get("code", ""), now)
        if grant is None or grant["org"] != org.name:
            return web.json_response({"error": "invalid_code"})
        if params.get("redirect_uri", grant["redirect_uri"]) != grant["redirect_uri"]:
            return web.json_response({"error": "invalid_redirect_uri"})
        refresh = None
        if grant["offline"]:
            refresh = state.tokens.issue_refresh(org.name, grant["scope"], now)
        access = state.tokens.issue_access(org.name, refresh, now)
        answer = _token_answer(org, access, grant["scope"])
        if refresh is not None:
            answer = {"access_token": access, "refresh_token": refresh, **answer}
        return web.json_response(answer)
    if grant_type == "refresh_token":
        refresh = params.get("refresh_token", "")
        entry = state.tokens.refresh.get(refresh)
        if entry is None or entry["org"] != org.name:
            return web.json_response({"error": "invalid_code"})
        access = state.tokens.issue_access(org.name, refresh, now)
        return web.json_response(_token_answer(org, access, entry["scope"]))
    return web.json_response({"error": "unsupported_grant_type"})


async def revoke(request: web.Request) -> web.Response:
    params = await _params(request)
    state_of(request).tokens.revoke(params.get("token", ""))
    return web.json_response({"status": "success"})
