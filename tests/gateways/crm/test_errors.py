"""The Zoho error table, answer by answer (no I/O)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from common.gateway.calls import ApiResponse
from services.crm_gateway.errors import classify, record_verdict

pytestmark = pytest.mark.unit


def answer(status: int, body: Any = None, **headers: str) -> ApiResponse:
    raw = json.dumps(body).encode() if body is not None else b""
    return ApiResponse(status, headers, raw)


def error(code: str) -> dict[str, Any]:
    return {"code": code, "details": {}, "message": code.lower(), "status": "error"}


def item(code: str, status: str = "error") -> dict[str, Any]:
    return {
        "code": code,
        "details": {"api_name": "Email"},
        "message": "m",
        "status": status,
    }


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (answer(200, {"data": []}), "ok"),
        (answer(204), "ok"),
        (answer(304), "ok"),
        (
            answer(207, {"data": [item("SUCCESS", "success"), item("INVALID_DATA")]}),
            "ok",
        ),
        (answer(400, {"data": [item("DUPLICATE_DATA")]}), "ok"),  # per record
        (answer(401, error("INVALID_TOKEN")), "auth"),
        (answer(401, error("AUTHENTICATION_FAILURE")), "auth"),
        (answer(401, error("OAUTH_SCOPE_MISMATCH")), "permanent"),
        (answer(429, error("TOO_MANY_REQUESTS")), "throttled"),
        (answer(500, error("INTERNAL_ERROR")), "retry"),
        (answer(504), "retry"),
        (answer(400, error("INVALID_MODULE")), "permanent"),
        (answer(400, error("REQUIRED_PARAM_MISSING")), "permanent"),
        (answer(403, error("NO_PERMISSION")), "permanent"),
        (answer(404, error("INVALID_URL_PATTERN")), "permanent"),
    ],
)
def test_table(response: ApiResponse, kind: str) -> None:
    assert classify(response).kind == kind


def test_retry_after_is_read_from_a_429() -> None:
    verdict = classify(answer(429, error("TOO_MANY_REQUESTS"), **{"Retry-After": "7"}))
    assert verdict.retry_after == 7.0


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("SUCCESS", "ok"),
        ("DUPLICATE_DATA", "permanent"),
        ("MANDATORY_NOT_FOUND", "permanent"),
        ("MULTIPLE_OR_MULTI_ERRORS", "permanent"),
        ("INTERNAL_ERROR", "retry"),
        ("ALREADY_MODIFIED", "retry"),
    ],
)
def test_per_record_items(code: str, kind: str) -> None:
    status = "success" if code == "SUCCESS" else "error"
    verdict = record_verdict(item(code, status))
    assert verdict.kind == kind
    if kind == "permanent":
        assert "field Email" in verdict.message
