"""Rendering pages: one jinja2 environment, templates from web/templates and
from each area's own ``templates`` folder; autoescaped, so a record's name
can never become markup."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

WEB = Path(__file__).parent
ADMIN = WEB.parent
NAV = web.AppKey("nav", tuple)  # (title, path) of each area with a page
# Set on the request by the auth middleware.
AUTHENTICATED = web.RequestKey("authenticated", bool)


@cache
def environment() -> jinja2.Environment:
    folders = [WEB / "templates"]
    folders += sorted(p for p in ADMIN.glob("*/templates") if p.parent.name != "web")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    request: web.Request, template: str, *, status: int = 200, **values: Any
) -> web.Response:
    page = environment().get_template(template)
    # The navigation only for a person logged in (not on the login page).
    nav = request.app.get(NAV, ()) if request.get(AUTHENTICATED) else ()
    html = page.render(nav=nav, path=request.path, **values)
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        headers={
            # Our own scripts and styles only; no framing by other sites.
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )
