"""Zoho CRM answers → what to do next: ONE table for statuses and codes.

Zoho puts the reason in a ``code`` (top level for request errors, per item
inside ``data[]`` for multi-record writes). 204 and 304 are empty answers,
not errors. A 207 or a 400 on a multi-record write carries one item per
record; those items are classified one by one with ``record_verdict`` so one
bad record fails alone.
"""

from __future__ import annotations

from typing import Any

from common.gateway.calls import ApiResponse, Verdict, VerdictKind, retry_after_seconds

# Zoho error codes, whichever status they come with.
CODE_VERDICTS: dict[str, VerdictKind] = {
    "INVALID_TOKEN": "auth",
    "AUTHENTICATION_FAILURE": "auth",
    "OAUTH_SCOPE_MISMATCH": "permanent",
    "NO_PERMISSION": "permanent",
    "TOO_MANY_REQUESTS": "throttled",
    "INTERNAL_ERROR": "retry",
    "INVALID_DATA": "permanent",
    "MANDATORY_NOT_FOUND": "permanent",
    "DUPLICATE_DATA": "permanent",
    "MULTIPLE_OR_MULTI_ERRORS": "permanent",
    "REQUIRED_PARAM_MISSING": "permanent",
    "LIMIT_EXCEEDED": "permanent",
    "INVALID_MODULE": "permanent",
    "INVALID_URL_PATTERN": "permanent",
    "INVALID_REQUEST_METHOD": "permanent",
    "RECORD_LOCKED": "permanent",
    "RECORD_IN_BLUEPRINT": "permanent",
    "DEPENDENT_FIELD_MISSING": "permanent",
    "PATTERN_NOT_MATCHED": "permanent",
    "ALREADY_MODIFIED": "retry",  # If-Unmodified-Since lost a race: read again
    "DISCRETE_PAGINATION_LIMIT_EXCEEDED": "permanent",
    "PAGINATION_LIMIT_EXCEEDED": "permanent",
    "TOKEN_BOUND_DATA_MISMATCH": "permanent",
    "EXPIRED_VALUE": "permanent",
    "LIMIT_REACHED": "permanent",
    "NOT_FOUND": "not_found",
    "NO_RECORDS_FOUND": "not_found",
}

# Statuses when the body names no code we know.
STATUS_VERDICTS: dict[int, VerdictKind] = {
    200: "ok",
    201: "ok",
    202: "ok",
    204: "ok",  # empty result
    207: "ok",  # mixed per-record results: see record_verdict
    304: "ok",  # If-Modified-Since: nothing changed
    400: "permanent",
    401: "auth",
    403: "permanent",
    404: "not_found",
    405: "permanent",
    408: "retry",
    412: "retry",
    413: "permanent",
    429: "throttled",
}


def _code_and_message(body: Any) -> tuple[str | None, str]:
    if isinstance(body, dict):
        data = body.get("data")
        if "code" not in body and isinstance(data, list) and data:
            body = data[0] if isinstance(data[0], dict) else body
        code = body.get("code")
        return (str(code) if code else None), str(body.get("message") or "")
    return None, ""


def _body_of(response: ApiResponse) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def classify(response: ApiResponse) -> Verdict:
    status = response.status
    body = _body_of(response)
    code, message = _code_and_message(body)
    message = message or f"HTTP {status}"
    if status < 300 or status == 304:
        return Verdict("ok")
    if status == 400 and _is_per_record(body):
        # Every record of a multi-record write failed: still per record.
        return Verdict("ok")
    if status == 412 and _is_per_record(body):
        return Verdict("ok")
    kind = CODE_VERDICTS.get(code or "") or STATUS_VERDICTS.get(status)
    if kind is None:
        kind = "retry" if status >= 500 else "permanent"
    retry_after = retry_after_seconds(response.headers) if kind == "throttled" else None
    return Verdict(
        kind, code=code or str(status), message=message, retry_after=retry_after
    )


def _is_per_record(body: Any) -> bool:
    data = body.get("data") if isinstance(body, dict) else None
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(item, dict) and "status" in item for item in data)
    )


def record_verdict(item: dict[str, Any]) -> Verdict:
    """One item of a multi-record write answer."""
    if item.get("status") == "success":
        return Verdict("ok", code=str(item.get("code") or "SUCCESS"))
    code = str(item.get("code") or "UNKNOWN")
    kind = CODE_VERDICTS.get(code, "permanent")
    return Verdict(kind, code=code, message=describe_item(item))


def describe_item(item: dict[str, Any]) -> str:
    """A reason a person understands: the code, the message and the field."""
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    assert isinstance(details, dict)
    parts = [str(item.get("code") or "error"), str(item.get("message") or "")]
    if details.get("api_name"):
        parts.append(f"field {details['api_name']}")
    duplicate = details.get("duplicate_record")
    if isinstance(duplicate, dict) and duplicate.get("id"):
        parts.append(f"existing record {duplicate['id']}")
    if isinstance(details.get("errors"), list):
        parts.extend(describe_item(e) for e in details["errors"] if isinstance(e, dict))
    return ": ".join(p for p in parts if p)
