"""Errors as a person reads them: 400 with the reason for a malformed
request, 404 for what does not exist, never a traceback in a response."""

from __future__ import annotations

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from services.admin.web.render import render

log = structlog.get_logger(__name__)


class BadRequest(Exception):
    """The request is malformed; the message says what to change."""


class NotFound(Exception):
    """What the request names does not exist."""


class Unavailable(Exception):
    """Something the answer needs (a gateway, the broker) does not answer."""


def wants_page(request: web.Request) -> bool:
    return request.path == "/" or request.path.startswith("/ui")


def error_response(request: web.Request, status: int, reason: str) -> web.Response:
    if wants_page(request):
        return render(request, "error.html", status=status, reason=reason)
    return web.json_response({"error": reason}, status=status)


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadRequest as exc:
        return error_response(request, 400, str(exc))
    except NotFound as exc:
        return error_response(request, 404, str(exc))
    except Unavailable as exc:
        return error_response(request, 503, str(exc))
    except web.HTTPException as exc:
        if exc.status >= 400:
            return error_response(request, exc.status, exc.reason)
        raise
    except Exception:
        log.exception("console_request_failed", path=request.path)
        return error_response(
            request, 500, "internal error; the admin service's log has the details"
        )
