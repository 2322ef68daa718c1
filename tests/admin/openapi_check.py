"""Responses checked against the console's OpenAPI document.

The document is OpenAPI 3.1, whose schemas are JSON Schema 2020-12, so a
response is validated with jsonschema against the schema its path, method
and status name (``$ref``s resolved inside the document)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import aiohttp
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from services.admin.http.openapi import document

SPEC_URI = "urn:console-openapi"


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(document(), default_specification=_dialect())
    return Registry().with_resource(SPEC_URI, resource)


def _dialect() -> Any:
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def template_of(path: str) -> str:
    """The document's path template that ``path`` (no query) matches."""
    for template in document()["paths"]:
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI document")


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def check(method: str, path: str, status: int, body: Any) -> None:
    """Raise if ``body`` is not what the document promises for this answer."""
    template = template_of(path.split("?")[0])
    operation = document()["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not in the OpenAPI document"
    responses = operation["responses"]
    key = str(status) if str(status) in responses else "default"
    assert key in responses, f"{method} {template} does not document status {status}"
    pointer = _pointer("paths", template, method.lower(), "responses", key)
    answer = responses[key]
    if "$ref" in answer:
        pointer = answer["$ref"].lstrip("#/")
        answer = _resolve(pointer)
    content = answer.get("content") or {}
    if "application/json" not in content:
        return
    schema = {"$ref": f"{SPEC_URI}#/{pointer}/content/application~1json/schema"}
    Draft202012Validator(schema, registry=_registry()).validate(body)


def _resolve(pointer: str) -> dict[str, Any]:
    node: Any = document()
    for part in pointer.split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    assert isinstance(node, dict)
    return node


class Api:
    """The console's API as a client sees it; every JSON answer is checked
    against the OpenAPI document before the test sees it."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str) -> None:
        self.http = http
        self.base = base
        self.token = token

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        async with self.http.request(
            method, self.base + path, json=json, params=params, headers=headers
        ) as response:
            if response.content_type == "application/json":
                body = await response.json()
                check(method, path, response.status, body)
            else:
                body = await response.text()
            return response.status, body

    async def get(self, path: str, **params: str) -> Any:
        status, body = await self.call("GET", path, params=params or None)
        assert status == 200, (status, body)
        return body

    async def post(self, path: str, json: Any = None) -> Any:
        status, body = await self.call(
            "POST", path, json=json if json is not None else {}
        )
        assert status == 200, (status, body)
        return body
