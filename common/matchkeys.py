"""The match-key rule: how a record is found on the other side when it has no link.

Written once: the matcher keys its mirror with it, and both gateways compare
the rows of their live re-check before a create with it, so the three never
disagree on whether two spellings are one key.

A key kind is named after the canonical field it is read from (``email``,
``name``, ``number``); each gateway's entity table says which API field holds
it (``match_fields``: pairs of API field and canonical field).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from common.entities import QBO_COUNTERPART

KeyKind = Literal["email", "name", "number"]


def email_key(value: Any) -> str | None:
    """Trimmed, lower-case; empty means no key."""
    return value.strip().lower() or None if isinstance(value, str) else None


def name_key(value: Any) -> str | None:
    """Trimmed, inner whitespace collapsed to one space, lower-case."""
    return " ".join(value.split()).lower() or None if isinstance(value, str) else None


def number_key(value: Any) -> str | None:
    """A document number, trimmed; its case is kept."""
    return value.strip() or None if isinstance(value, str) else None


KEY_RULES: dict[KeyKind, Callable[[Any], str | None]] = {
    "email": email_key,
    "name": name_key,
    "number": number_key,
}

# Pair kind (named after the CRM entity) → (primary, alternative) key kind.
KEY_KINDS: dict[str, tuple[KeyKind, KeyKind | None]] = {
    "contact": ("email", None),
    "account": ("name", None),
    "product": ("name", None),
    "vendor": ("email", "name"),  # a vendor without email is still found by name
    "invoice": ("number", None),
    "quote": ("number", None),
}


def key_of(kind: KeyKind, value: Any) -> str | None:
    return KEY_RULES[kind](value)


def match_keys(kind: str, record: dict[str, Any]) -> tuple[str | None, str | None]:
    """(primary, alternative) key of a record of this pair kind."""
    primary, alternative = KEY_KINDS[kind]
    return (
        key_of(primary, record.get(primary)),
        key_of(alternative, record.get(alternative)) if alternative else None,
    )


def key_kinds(system: str, entity: str) -> tuple[KeyKind, KeyKind | None]:
    """What a write command's ``match_key`` and ``alt_match_key`` hold for a
    bus entity of ``system``."""
    return KEY_KINDS[entity if system == "crm" else QBO_COUNTERPART[entity]]


def same_key(kind: KeyKind, value: Any, key: str | None) -> bool:
    """Whether a live row's ``value`` holds ``key``: both go through the rule,
    so a key sent unnormalised still compares right."""
    wanted = key_of(kind, key)
    return wanted is not None and key_of(kind, value) == wanted


@dataclass(frozen=True)
class KeyCheck:
    """One key a gateway looks for live before a create."""

    field: str  # the API field holding it
    kind: KeyKind
    key: str  # as the rule writes it

    def held_by(self, value: Any) -> bool:
        return same_key(self.kind, value, self.key)


def key_field(match_fields: Sequence[tuple[str, str]], kind: KeyKind) -> str | None:
    """The API field of ``match_fields`` that holds keys of ``kind``."""
    return next((api for api, canonical in match_fields if canonical == kind), None)


def key_checks(
    system: str,
    entity: str,
    match_fields: Sequence[tuple[str, str]],
    match_key: str | None,
    alt_match_key: str | None,
) -> list[KeyCheck]:
    """A write command's match key, then its alternative key, in the order a
    live re-check tries them; a key the API has no field for is left out."""
    checks = []
    keys = (match_key, alt_match_key)
    for kind, key in zip(key_kinds(system, entity), keys, strict=True):
        field = key_field(match_fields, kind) if kind else None
        value = key_of(kind, key) if kind else None
        if kind and field and value:
            checks.append(KeyCheck(field, kind, value))
    return checks
