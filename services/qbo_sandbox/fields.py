"""Field checks shared by the entity rules."""

from __future__ import annotations

from typing import Any

from services.qbo_sandbox import errors
from services.qbo_sandbox.company import Company, Record

# Fields a client may send but the server always computes itself.
SERVER_OWNED = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})


def writable_part(body: Record) -> Record:
    return {key: value for key, value in body.items() if key not in SERVER_OWNED}


def check_lengths(record: Record, limits: dict[str, int]) -> None:
    for key, maximum in limits.items():
        value = record.get(key)
        if isinstance(value, str) and len(value) > maximum:
            raise errors.string_too_long(key, maximum, len(value))


def require(record: Record, key: str) -> Any:
    value = record.get(key)
    if value is None or value == "" or value == {}:
        raise errors.required_missing(key)
    return value


def resolve_ref(
    company: Company, entity: str, ref: Any, element: str, name_key: str
) -> Record:
    """Look a reference up; fill in its `name` as the server does."""
    if not isinstance(ref, dict) or not ref.get("value"):
        raise errors.required_missing(element)
    target = company.get(entity, str(ref["value"]))
    if target is None or target.get("Active") is False:
        raise errors.invalid_reference(element)
    # Only value and name come back, as in every Intuit sample: a client's
    # `type` (python-quickbooks sends one on every Ref) is not kept.
    name = target[name_key]
    value = str(ref["value"])
    ref.clear()
    ref.update(value=value, name=name)
    return target


def as_number(value: Any, element: str) -> float:
    if isinstance(value, bool) or value is None:
        raise errors.request_malformed(f"Property {element} has an invalid value")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise errors.request_malformed(
            f"Property {element} has an invalid value {value!r}"
        ) from None


def money(value: float) -> float:
    return round(value + 0.0, 2)
