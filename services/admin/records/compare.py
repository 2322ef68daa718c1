"""Which synced fields differ between a record and its counterpart.

A record is projected onto its synced fields, named after the CRM side,
each value normalised as the matcher decides "equal" — both read the table
and the rules from common/synced_fields.py. A field a side does not carry
(``not_carried``) is unknown there, never "empty", so it is never reported
as differing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from common.connection_settings import FieldMapping
from common.synced_fields import COMPANY, NOT_CARRIED, SYNC_FIELDS, normalise, value_at

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
        f.name: normalise(f.name, value_at(record, f.path(system)))
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
