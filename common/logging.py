"""structlog setup: JSON or console, context per message, secrets redacted.

The redactor runs last before rendering, so nothing bound anywhere (a token
in an exception text, an Authorization header in a request dump) reaches a
log line unmasked.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

REDACTED = "***"
SECRET_KEY_PATTERN = re.compile(
    r"(token|secret|password|passwd|authorization|api[_-]?key|cookie|"
    r"signature|credential|refresh|access)",
    re.IGNORECASE,
)
# Values that look like secrets wherever they appear inside a string.
SECRET_VALUE_PATTERNS = (
    # Authorization headers: Bearer / Zoho-oauthtoken / Basic + credential
    re.compile(r"(?i)\b(bearer|zoho-oauthtoken|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    # key=value pairs in URLs, forms and exception texts
    re.compile(
        r"(?i)\b(access_token|refresh_token|client_secret|code|token|password|"
        r"secret)=([^&\s\"']+)"
    ),
    # JSON-ish "key": "value"
    re.compile(
        r"(?i)\"(access_token|refresh_token|client_secret|token|password|secret)\""
        r"\s*:\s*\"[^\"]*\""
    ),
    # Zoho tokens (1000.<hex>.<hex>) and JWTs
    re.compile(r"\b1000\.[0-9a-f]{16,}\.[0-9a-f]{16,}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\b"),
)


def redact_text(text: str) -> str:
    for pattern in SECRET_VALUE_PATTERNS:
        text = pattern.sub(_mask_match, text)
    return text


def _mask_match(match: re.Match[str]) -> str:
    whole = match.group(0)
    if whole.startswith('"'):
        return f'"{match.group(1)}": "{REDACTED}"'
    if "=" in whole and match.lastindex and match.lastindex >= 2:
        return f"{match.group(1)}={REDACTED}"
    if match.lastindex:
        return f"{match.group(1)} {REDACTED}"
    return REDACTED


def redact_value(key: str | None, value: Any) -> Any:
    if key is not None and SECRET_KEY_PATTERN.search(key) and value not in (None, ""):
        if isinstance(value, bool | int | float):
            return value  # counts and flags named like secrets are not secrets
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(None, v) for v in value]
    return value


def redact_secrets(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in ("event", "level", "timestamp", "logger"):
            if isinstance(event_dict[key], str):
                event_dict[key] = redact_text(event_dict[key])
            continue
        event_dict[key] = redact_value(key, event_dict[key])
    return event_dict


def configure_logging(service: str, level: str = "INFO", fmt: str = "auto") -> None:
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level)
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # Libraries that log through the standard library (aio-pika, aiohttp).
    logging.basicConfig(level=max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
