"""The API's OpenAPI 3.1 document, merged from one file per area.

``services/admin/openapi/base.yaml`` holds what every area shares (info,
security, the error schema); each area adds ``<area>/openapi.yaml`` with its
paths and schemas. Tests validate every response they get against it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

ADMIN = Path(__file__).resolve().parents[1]


@cache
def document() -> dict[str, Any]:
    merged: dict[str, Any] = yaml.safe_load(
        (ADMIN / "openapi" / "base.yaml").read_text()
    )
    for part in sorted(ADMIN.glob("*/openapi.yaml")):
        piece = yaml.safe_load(part.read_text()) or {}
        for path, operations in (piece.get("paths") or {}).items():
            if path in merged["paths"]:
                raise ValueError(f"{part}: path {path} is already described")
            merged["paths"][path] = operations
        schemas = merged["components"]["schemas"]
        for name, schema in (
            (piece.get("components") or {}).get("schemas") or {}
        ).items():
            if name in schemas:
                raise ValueError(f"{part}: schema {name} is already described")
            schemas[name] = schema
    return merged


async def serve(_: web.Request) -> web.Response:
    return web.json_response(document())


def routes() -> list[web.RouteDef]:
    return [web.get("/api/openapi.json", serve)]
