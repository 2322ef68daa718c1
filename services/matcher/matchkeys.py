"""Match keys: how a record is found on the other side when it has no link."""

from __future__ import annotations

from typing import Any


def email_key(value: Any) -> str | None:
    return value.strip().lower() or None if isinstance(value, str) else None


def name_key(value: Any) -> str | None:
    return " ".join(value.split()).lower() or None if isinstance(value, str) else None


def match_keys(kind: str, record: dict[str, Any]) -> tuple[str | None, str | None]:
    """(primary, alternative) key of a record of this pair kind.

    Vendors match on email, else name; documents on their number (QBO DocNumber).
    """
    if kind == "contact":
        return email_key(record.get("email")), None
    if kind in ("product", "account"):
        return name_key(record.get("name")), None
    if kind == "vendor":
        return email_key(record.get("email")), name_key(record.get("name"))
    number = record.get("number")
    return (number.strip() or None if isinstance(number, str) else None), None
