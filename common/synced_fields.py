"""The sync's synced fields and when two values are equal, in one place.

The matcher decides with these (services/matcher/fields.py) and the console
shows differences with them (services/admin/records), so what the console
calls "differs" is what the matcher would write. Fields are named after the
CRM side; values normalise as the matcher compares them: emails as match
keys, money as decimals, blank strings as empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from common.matchkeys import email_key

PERSON = ("first_name", "last_name", "email", "phone", "mobile")
COMPANY = ("company_name", "billing_address")  # a CRM contact's come from its account
DOCUMENT = ("party_id", "issue_date", "due_date", "currency", "lines", "notes")
SYNC_FIELDS: dict[str, tuple[str, ...]] = {
    "contact": (*PERSON, *COMPANY, "active"),
    "product": ("name", "description", "unit_price", "sku", "taxable", "active"),
    "vendor": (
        "name",
        "email",
        "phone",
        "company_name",
        "address",
        "website",
        "active",
    ),
    "invoice": (*DOCUMENT, "terms"),
    "quote": (*DOCUMENT, "terms"),
}
MONEY = frozenset({"unit_price", "quantity", "discount"})
LINE_FIELDS = ("product_id", "description", "quantity", "unit_price", "discount")
NOT_CARRIED = "not_carried"


def normalise(name: str, value: Any) -> Any:
    if name == "lines" and isinstance(value, list):
        return [_line(line) for line in value if isinstance(line, Mapping)]
    if name in MONEY:
        return _money(value)
    if name == "email" and isinstance(value, str):
        return email_key(value)  # emails compare as the match key does
    return _clean(value)


def _line(line: Mapping[str, Any]) -> dict[str, Any]:
    return {key: normalise(key, line.get(key)) for key in LINE_FIELDS}


def _money(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except InvalidOperation:
        return str(value)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v is not None} or None
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def value_at(record: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``billing_address.city``); None if absent."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
