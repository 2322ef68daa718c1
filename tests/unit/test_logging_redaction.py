"""Secrets never reach logs: the redactor runs on every log line."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr

import pytest
import structlog

from common.logging import configure_logging, redact_text, redact_value

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl", "eyJhbGciOi"),
        ("Zoho-oauthtoken 1000.0123456789abcdef0123.fedcba9876543210fedc", "1000.0"),
        ("POST /token refresh_token=RT-very-secret&grant_type=refresh", "RT-very"),
        ("?client_secret=s3cr3t&client_id=abc", "s3cr3t"),
        ('{"access_token": "at-123", "expires_in": 3600}', "at-123"),
        ("Basic Y2xpZW50OnNlY3JldA==", "Y2xpZW50OnNlY3JldA"),
    ],
)
def test_secret_looking_values_are_masked_inside_text(text: str, secret: str) -> None:
    masked = redact_text(text)
    assert secret not in masked
    assert "***" in masked


def test_secret_named_keys_are_masked_at_any_depth() -> None:
    value = {
        "headers": {"Authorization": "whatever", "Accept": "application/json"},
        "refresh_token": "r",
        "nested": [{"client_secret": "c"}],
        "attempt": 3,
    }
    assert redact_value("context", value) == {
        "headers": {"Authorization": "***", "Accept": "application/json"},
        "refresh_token": "***",
        "nested": [{"client_secret": "***"}],
        "attempt": 3,
    }


def test_configured_logger_writes_json_without_the_secrets() -> None:
    buffer = io.StringIO()
    with redirect_stderr(buffer):
        configure_logging("qbo_gateway", "INFO", "json")
        structlog.get_logger("t").info(
            "token_refreshed",
            tenant="acme",
            access_token="at-secret-value",
            detail="server said refresh_token=rt-secret-value",
        )
    line = json.loads(buffer.getvalue().strip().splitlines()[-1])
    assert line["event"] == "token_refreshed"
    assert line["service"] == "qbo_gateway"
    assert line["tenant"] == "acme"
    assert "at-secret-value" not in buffer.getvalue()
    assert "rt-secret-value" not in buffer.getvalue()
