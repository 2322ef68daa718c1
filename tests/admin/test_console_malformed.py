"""Every API route, fed malformed parameters and bodies, answers with a
documented 4xx and its reason (or a documented success), never a 500.

The routes and their parameters are read from the OpenAPI document, so a
route added later is covered without touching this test; every answer is
checked against the document by the test client."""

from __future__ import annotations

from typing import Any

import pytest

from services.admin.http.openapi import document
from tests.admin.conftest import RunningConsole

pytestmark = pytest.mark.integration

ODD_VALUES = (
    "x" * 500,
    "-1",
    "0",
    "99999999999",
    "1.5",
    "not a date",
    "../../etc/passwd",
    "a|b|c",
    "<script>alert(1)</script>",
    "😀",
    "$where",
)
ODD_BODIES: tuple[Any, ...] = (
    [],
    "text",
    42,
    {"unknown": 1},
    {"tenant": 5, "system": ["crm"], "entity": {}, "since": "yesterday"},
    {"ids": "not-a-list"},
    {"ids": [], "group": "both"},
    {"tenant": "x" * 500, "entity": "contact"},
)
ALLOWED = {200, 400, 404, 503}


def _operations() -> list[tuple[str, str, list[dict[str, Any]]]]:
    found = []
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            found.append((method.upper(), path, operation.get("parameters", [])))
    return found


def _fill(path: str, value: str) -> str:
    for name in ("system", "entity"):
        path = path.replace(
            "{" + name + "}", {"system": "crm", "entity": "contact"}[name]
        )
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + value + path[end + 1 :]
    return path


async def test_no_malformed_request_is_a_500(running_console: RunningConsole) -> None:
    api = running_console.api
    checked = 0
    for method, path, parameters in _operations():
        if path == "/api/openapi.json":
            continue
        queried = [p["name"] for p in parameters if p["in"] == "query"]
        for value in ODD_VALUES:
            url = _fill(path, value.replace("/", "_"))
            for name in queried or [None]:
                query = {name: value} if name else None
                if name == "wait":
                    query = {"wait": value, "tenant": "demo"}
                status, body = await api.call(method, url, params=query)
                assert status in ALLOWED, (method, url, query, status, body)
                if status != 200:
                    assert body["error"], (method, url, query)
                checked += 1
        if method == "POST":
            for sent in ODD_BODIES:
                status, body = await api.call(method, _fill(path, "x"), json=sent)
                assert status in (400, 404, 503), (method, path, sent, status, body)
                assert body["error"]
                checked += 1
            async with running_console.http.post(
                running_console.base + _fill(path, "x"),
                data=b"{not json",
                headers={
                    "Authorization": f"Bearer {api.token}",
                    "Content-Type": "application/json",
                },
            ) as response:
                assert response.status in (400, 404), (path, response.status)
                assert (await response.json())["error"]
    assert checked > 100
