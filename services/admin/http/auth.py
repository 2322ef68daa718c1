"""Every console request needs the admin token; compared in constant time.

Two ways to present it: ``Authorization: Bearer <token>`` (syncctl, scripts,
the API) or the session cookie the login page sets (the browser). The
cookie holds an HMAC of the token, not the token, and is HttpOnly and
SameSite=Strict, so another site can neither read it nor send it with a
forged request. A missing or wrong token is a 401 on every route; for pages
the 401 carries the login form. Probes and metrics stay open (they hold no
record and no secret; Kubernetes and Prometheus call them without one).
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from common.crypto import constant_time_equals
from services.admin.web.render import AUTHENTICATED, render

COOKIE = "syncadmin_session"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/ui/login"})
OPEN_PREFIXES = ("/ui/static/",)
TOKEN_KEY = web.AppKey("admin_token", str)


def session_value(token: str) -> str:
    return hmac.new(token.encode(), b"console-session", hashlib.sha256).hexdigest()


def presented_ok(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return constant_time_equals(header[len("Bearer ") :].strip(), token)
    cookie = request.cookies.get(COOKIE)
    if cookie is not None:
        return constant_time_equals(cookie, session_value(token))
    return False


def refused(request: web.Request, reason: str) -> web.Response:
    if request.path == "/" or request.path.startswith("/ui"):
        return render(
            request, "login.html", status=401, reason=reason, next=_next_of(request)
        )
    return web.json_response(
        {"error": reason}, status=401, headers={"WWW-Authenticate": "Bearer"}
    )


def _next_of(request: web.Request) -> str:
    target = request.query.get("next") or request.path_qs
    # Only our own pages: a login link never sends the person elsewhere.
    return target if target.startswith("/ui") and "//" not in target else "/ui/"


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in OPEN_PATHS or request.path.startswith(OPEN_PREFIXES):
        return await handler(request)
    token = request.app[TOKEN_KEY]
    if not presented_ok(request, token):
        presented = "Authorization" in request.headers or COOKIE in request.cookies
        return refused(
            request,
            "wrong admin token" if presented else "the admin token is required",
        )
    request[AUTHENTICATED] = True
    return await handler(request)


async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", next=_next_of(request), reason="")


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    presented = str(form.get("token") or "").strip()
    token = request.app[TOKEN_KEY]
    target = str(form.get("next") or "/ui/")
    if not target.startswith("/ui") or "//" in target:
        target = "/ui/"
    if not constant_time_equals(presented, token):
        return render(
            request, "login.html", status=401, reason="wrong admin token", next=target
        )
    response = web.HTTPSeeOther(target)
    response.set_cookie(
        COOKIE,
        session_value(token),
        httponly=True,
        samesite="Strict",
        path="/",
        secure=request.secure,
    )
    raise response


async def logout(request: web.Request) -> web.Response:
    response = web.HTTPSeeOther(f"/ui/login?next={quote('/ui/')}")
    response.del_cookie(COOKIE, path="/")
    raise response


def routes() -> list[web.RouteDef]:
    return [
        web.get("/ui/login", login_page),
        web.post("/ui/login", login),
        web.post("/ui/logout", logout),
    ]
