"""A dead letter's message body, shown without what could be a secret.

The sync's own messages carry records, write commands and outcomes, never a
token. But a body is whatever reached the queue: a malformed message, a
record whose custom field holds an API key, an outcome quoting a header. So
every value under a key that names a credential is masked, and in a body
that is not JSON (or in a reason) anything written as ``key=value`` or
``Authorization: Bearer ...`` with such a key is masked too.
"""

from __future__ import annotations

import json
import re
from typing import Any

MASKED = "***"
# Key names that hold credentials, as parts of a key ("access_token",
# "X-Api-Key", "clientSecret", "verifier_token", "Authorization").
SECRET_KEY = re.compile(
    r"token|secret|password|passwd|authori[sz]ation|api[_-]?key|credential|"
    r"cookie|private[_-]?key|signature",
    re.IGNORECASE,
)
# QBO's SyncToken is a record's version, not a credential.
NOT_SECRET = re.compile(r"^sync_?token$", re.IGNORECASE)
SECRET_TEXT = re.compile(
    r"(?P<key>[\w-]*(?:token|secret|password|passwd|authori[sz]ation|api[_-]?key|"
    r"credential|cookie|signature)[\w-]*)"
    r"(?P<sep>\"?\s*[:=]\s*\"?)(?P<scheme>(?:Bearer|Basic|Zoho-oauthtoken)\s+)?"
    r"(?P<value>[^\s\",;&]+)",
    re.IGNORECASE,
)


def masked_body(body: str) -> Any:
    """The body as JSON with credentials masked, or as masked text."""
    try:
        data = json.loads(body)
    except ValueError:
        return masked_text(body)
    return _masked(data)


def masked_text(text: str) -> str:
    def mask(found: re.Match[str]) -> str:
        scheme = found["scheme"] or ""
        return f"{found['key']}{found['sep']}{scheme}{MASKED}"

    return SECRET_TEXT.sub(mask, text)


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: MASKED if _is_secret(str(key)) else _masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, str):
        return masked_text(value)
    return value


def _is_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(key)) and not NOT_SECRET.match(key)
