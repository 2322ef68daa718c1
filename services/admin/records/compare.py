"""Which synced fields differ between a record and its counterpart.

The console's own copy of how the matcher compares (services/matcher/
fields.py): a record is projected onto its synced fields, named after the
CRM side, each value normalised the way the matcher decides "equal" (emails
as match keys, money as decimals, blank strings as empty). A field a side
does not carry (``not_carried``) is unknown there, never "empty", so it is
never reported as differing. Reimplemented here, not imported: a service
never imports another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from common.connection_settings import FieldMapping
from common.matchkeys import email_key

PERSON = ("first_name", "last_name", "email", "phone", "mobile")
COMPANY = ("company_name", "billing_address")  # a CRM contact's: its account's
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
# Where a CRM contact's company fields live on its account.
FROM_ACCOUNT = {"company_name": "name", "billing_address": "billing_address"}


@dataclass(frozen=True)
class Field:
    name: str  # in sync space (the CRM path)
    crm: str
    qbo: str

    def path(self, system: str) -> str:
        return self.crm if system == "crm" else self.qbo


def synced_fields(
    kind: str, mapping: FieldMapping, agreed: Iterable[str] = ()
) -> list[Field]:
    """The pair's synced fields: the kind's own and the connection's extra
    pairs, less exclusions. ``agreed`` (the link's ``base`` keys) adds any
    field the pair agreed on that the table no longer names."""
    fields = [
        Field(f, f, f) for f in SYNC_FIELDS.get(kind, ()) if f not in mapping.exclude
    ]
    fields += [Field(pair.crm, pair.crm, pair.qbo) for pair in mapping.extra]
    known = {f.name for f in fields}
    fields += [Field(name, name, name) for name in agreed if name not in known]
    return fields


def project(
    record: Mapping[str, Any] | None, system: str, fields: Iterable[Field]
) -> dict[str, Any]:
    """The record's synced values, normalised; fields it does not carry are
    left out (unknown)."""
    if record is None:
        return {}
    unknown = frozenset(record.get(NOT_CARRIED) or ())
    return {
        f.name: normalise(f.name, _get(record, f.path(system)))
        for f in fields
        if f.path(system) not in unknown
    }


def with_account(
    contact: Mapping[str, Any], account: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A CRM contact as the matcher sees it: its company fields are its
    account's; without an account (or one not read yet) they are unknown."""
    own = {*(contact.get(NOT_CARRIED) or ()), *COMPANY}
    if account is None:
        return {**contact, NOT_CARRIED: sorted(own)}
    unknown_there = set(account.get(NOT_CARRIED) or ())
    carried = {
        ours for ours, theirs in FROM_ACCOUNT.items() if theirs not in unknown_there
    }
    return {
        **contact,
        **{ours: account.get(theirs) for ours, theirs in FROM_ACCOUNT.items()},
        NOT_CARRIED: sorted(own - carried),
    }


def differing(crm: Mapping[str, Any], qbo: Mapping[str, Any]) -> list[str]:
    """The fields both sides carry with values the matcher does not call equal."""
    return sorted(name for name in crm if name in qbo and crm[name] != qbo[name])


def normalise(name: str, value: Any) -> Any:
    if name == "lines" and isinstance(value, list):
        return [_line(line) for line in value if isinstance(line, Mapping)]
    if name in MONEY:
        return _money(value)
    if name == "email" and isinstance(value, str):
        return email_key(value)
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


def _get(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
