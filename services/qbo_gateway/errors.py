"""The QBO error table: one place that says what each answer means.

QBO reports errors as a ``Fault`` (``{"Fault": {"Error": [{"code": ...}],
"type": ...}}``), sometimes inside an HTTP 200 (batch items, some
validations), the auth gateway with a lower-case ``fault``, and throttling
sometimes as XML even to JSON clients. Every form goes through here.
"""

from __future__ import annotations

import re
from typing import Any

from common.gateway.calls import ApiResponse, Verdict, retry_after_seconds

STALE_OBJECT = "5010"
DUPLICATE_NAME = "6240"
OBJECT_NOT_FOUND = "610"
THROTTLED = "3001"

# Fault codes → what to do. Anything not listed: 5xx retry, 4xx permanent.
FAULT_CODES: dict[str, str] = {
    THROTTLED: "throttled",  # ThrottleExceeded
    "3200": "auth",  # AuthenticationFailed
    "3100": "permanent",  # ApplicationAuthorizationFailed (app not allowed)
    "120": "permanent",  # Authorization failure
    OBJECT_NOT_FOUND: "not_found",
    STALE_OBJECT: "permanent",  # the write path re-reads and re-applies
    DUPLICATE_NAME: "permanent",  # the write path disambiguates
    "6140": "permanent",  # duplicate document number
    "6000": "permanent",  # business validation
    "2020": "permanent",  # required parameter missing
    "2050": "permanent",  # string length out of range
    "2170": "permanent",  # invalid enumeration
    "2500": "permanent",  # invalid reference id
    "4000": "permanent",  # query parse error
    "4001": "permanent",  # invalid query
    "6190": "permanent",  # company subscription ended
    "6210": "permanent",  # accounting period closed
    "1040": "permanent",  # batch too large
    "600": "permanent",  # duplicate request id inside a batch
    "10000": "retry",  # an application error has occurred (SystemFault)
}
RETRY_STATUSES = {408, 500, 502, 503, 504}
XML_CODE = re.compile(r'code="(\d+)"|<code>(\d+)</code>|errorCode=0*(\d+)')


def fault_of(data: Any) -> tuple[str | None, str]:
    """(code, message) of the first error in a Fault, either casing."""
    if not isinstance(data, dict):
        return None, ""
    fault = data.get("Fault") or data.get("fault")
    if not isinstance(fault, dict):
        return None, ""
    errors = fault.get("Error") or fault.get("error") or []
    if not errors:
        return None, str(fault.get("type", "fault"))
    first = errors[0]
    code = first.get("code")
    message = first.get("Message") or first.get("message") or ""
    detail = first.get("Detail") or first.get("detail") or ""
    text = f"{message}: {detail}" if detail else message
    return (str(code) if code is not None else None), text


def verdict_for_fault(code: str | None, message: str, status: int) -> Verdict:
    kind = FAULT_CODES.get(code or "")
    if kind is None:
        kind = "retry" if status >= 500 else "permanent"
    return Verdict(kind, code=code, message=f"QBO {code}: {message}")  # type: ignore[arg-type]


def classify(response: ApiResponse) -> Verdict:
    status = response.status
    body = response.body
    content_type = response.headers.get("Content-Type", "")
    if "xml" in content_type or body.lstrip().startswith(b"<"):
        text = body.decode("utf-8", errors="replace")
        found = XML_CODE.search(text)
        code = next((g for g in found.groups() if g), None) if found else None
        if status == 429 or code == THROTTLED or "ThrottleExceeded" in text:
            return Verdict(
                "throttled",
                code=THROTTLED,
                message="QBO throttled the request",
                retry_after=retry_after_seconds(response.headers),
            )
        return verdict_for_fault(code, text[:300], status)
    try:
        data = response.json()
    except ValueError:
        data = None
    code, message = fault_of(data)
    if status == 429 or code == THROTTLED:
        return Verdict(
            "throttled",
            code=THROTTLED,
            message=message or "QBO throttled the request",
            retry_after=retry_after_seconds(response.headers),
        )
    if status == 401:
        return Verdict("auth", code=code or "3200", message=message or "unauthorised")
    if 200 <= status < 300:
        if code is not None:  # a Fault inside a 200
            return verdict_for_fault(code, message, status)
        return Verdict("ok")
    if code is not None:
        return verdict_for_fault(code, message, status)
    if status in RETRY_STATUSES:
        return Verdict("retry", message=f"QBO answered HTTP {status}")
    return Verdict("permanent", message=f"QBO answered HTTP {status}: {body[:200]!r}")
