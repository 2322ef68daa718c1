"""Zoho's two ways through a list: `page`/`per_page` for the first 2000
records, then opaque `page_token`s (24 h, bound to the query) up to 100,000."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import ZohoError
from .state import SandboxState

DISCRETE_LIMIT = 2000
TOKEN_LIMIT = 100_000
MAX_PER_PAGE = 200
TOKEN_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Window:
    offset: int
    per_page: int
    page: int


def _int_param(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": name}) from exc
    if value < 1:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": name})
    return value


def per_page_of(request: web.Request) -> int:
    per_page = _int_param(request, "per_page", MAX_PER_PAGE)
    if per_page > MAX_PER_PAGE:
        raise ZohoError(
            400,
            "INVALID_DATA",
            "invalid data",
            {"param": "per_page", "maximum_length": MAX_PER_PAGE},
        )
    return per_page


def window_of(
    request: web.Request, state: SandboxState, binding: dict[str, Any]
) -> Window:
    per_page = per_page_of(request)
    token = request.query.get("page_token")
    if token:
        entry = state.page_tokens.get(token)
        if entry is None:
            raise ZohoError(
                400, "INVALID_DATA", "invalid data", {"param": "page_token"}
            )
        if entry["expires"] < state.clock.timestamp():
            raise ZohoError(
                400, "EXPIRED_VALUE", "page token expired", {"param": "page_token"}
            )
        if entry["binding"] != binding:
            raise ZohoError(
                400,
                "TOKEN_BOUND_DATA_MISMATCH",
                "the given parameters do not match the page token",
                {"param": "page_token"},
            )
        offset = int(entry["offset"])
        if offset >= TOKEN_LIMIT:
            raise ZohoError(
                400,
                "PAGINATION_LIMIT_EXCEEDED",
                "cannot fetch more than 100000 records",
                {"limit": TOKEN_LIMIT},
            )
        return Window(offset, per_page, offset // per_page + 1)
    page = _int_param(request, "page", 1)
    if page * per_page > DISCRETE_LIMIT:
        raise ZohoError(
            400,
            "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
            "cannot fetch more than 2000 records with page and per_page;"
            " use page_token",
            {"limit": DISCRETE_LIMIT},
        )
    return Window((page - 1) * per_page, per_page, page)


def issue_token(
    state: SandboxState, binding: dict[str, Any], offset: int
) -> tuple[str, float]:
    token = secrets.token_hex(20)
    expires = state.clock.timestamp() + TOKEN_SECONDS
    state.page_tokens[token] = {
        "binding": binding,
        "offset": offset,
        "expires": expires,
    }
    return token, expires
