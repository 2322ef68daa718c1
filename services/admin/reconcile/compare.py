"""What a reconcile reports, decided from what was read: pure functions.

Given every record of one pair kind on each side (translated, as the
gateways' ``page`` requests answer) and the matcher's links of that kind,
the findings are:

- ``missing_in_qbo`` / ``missing_in_crm``: a record with no link, or whose
  link names a counterpart that is not among the other side's records (a
  link still being created names none: its record is missing too);
- ``differs``: a linked pair whose synced values differ, one finding per
  field;
- ``unreadable``: a record its gateway could not translate (the reason is
  in its side's value column).

Links the sync retired on purpose (``deleted``, ``voided``) are left out:
their records are expected to differ or be gone.

Comparison rules (a difference a person would not call one is none):

- only the link's ``base`` keys are compared: the fields that pair agreed
  on at its last sync, named after the CRM side; a connection's extra pair
  (``field_mapping``) reads its QBO path, every other field the same path;
- a field a record does not carry (``not_carried``: its side has no such
  field, or it lives in another record, e.g. a CRM contact's company name
  and address are its account's) is unknown there, never compared;
- strings are trimmed and inner whitespace runs collapsed to one space; an
  empty string is empty (None); an address (a mapping) drops its empty
  parts, and one with none left is empty;
- emails compare without case;
- money and quantities (``unit_price``, ``quantity``, ``discount``,
  ``total``, ``amount``) compare as decimals: "10", "10.0" and "10.00" are
  one value;
- references (a document's ``party_id``, its lines' ``product_id``) compare
  in CRM ids: a QBO id is translated through the contact/product links; one
  with no link stays ``qbo:<id>`` and so differs;
- document lines compare in order, on product, description, quantity,
  unit price and discount.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from common.connection_settings import FieldMapping
from common.entities import COUNTERPART, QBO_COUNTERPART
from common.matchkeys import email_key
from common.synced_fields import LINE_FIELDS, value_at

RETIRED = frozenset({"deleted", "voided"})
MONEY = frozenset({"unit_price", "quantity", "discount", "total", "amount"})
DOCUMENTS = frozenset({"invoice", "quote"})
NOT_CARRIED = "not_carried"
FINDINGS = ("missing_in_qbo", "missing_in_crm", "differs", "unreadable")
CSV_COLUMNS = (
    "finding",
    "crm_id",
    "qbo_id",
    "label",
    "field",
    "crm_value",
    "qbo_value",
)


@dataclass(frozen=True)
class Pair:
    """One pair kind: the CRM entity (the matcher's ``kind``) and its twin."""

    kind: str
    crm: str
    qbo: str

    def entity(self, system: str) -> str:
        return self.crm if system == "crm" else self.qbo


PAIRS: dict[str, Pair] = {crm: Pair(crm, crm, qbo) for crm, qbo in COUNTERPART.items()}
ENTITY_NAMES = tuple(dict.fromkeys([*COUNTERPART, *QBO_COUNTERPART]))


def pair_of(entity: str) -> Pair:
    """The pair either side's entity name belongs to (``customer`` and
    ``contact`` are one pair); ValueError naming the accepted names."""
    kind = entity if entity in COUNTERPART else QBO_COUNTERPART.get(entity)
    if kind is None:
        raise ValueError(
            f"entity must be one of: {', '.join(ENTITY_NAMES)} (not {entity!r})"
        )
    return PAIRS[kind]


@dataclass(frozen=True)
class Item:
    """One record as its gateway's page answered it."""

    external_id: str
    record: Mapping[str, Any] | None
    label: str | None = None
    error: str | None = None

    @classmethod
    def of(cls, wired: Mapping[str, Any]) -> Item:
        return cls(
            external_id=str(wired["external_id"]),
            record=wired.get("record"),
            label=wired.get("label"),
            error=wired.get("error"),
        )


@dataclass(frozen=True)
class LinkView:
    """The part of a matcher link a reconcile reads."""

    crm_id: str | None
    qbo_id: str | None
    state: str
    base_keys: tuple[str, ...]

    @classmethod
    def of(cls, document: Mapping[str, Any]) -> LinkView:
        return cls(
            crm_id=document.get("crm_id"),
            qbo_id=document.get("qbo_id"),
            state=str(document.get("state") or "linked"),
            base_keys=tuple(sorted(document.get("base") or {})),
        )


@dataclass(frozen=True)
class Finding:
    finding: str
    crm_id: str | None
    qbo_id: str | None
    label: str | None
    field: str | None = None
    crm_value: str | None = None
    qbo_value: str | None = None

    def wire(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class References:
    """QBO customer/item id → CRM contact/product id, from the links."""

    contacts: Mapping[str, str]
    products: Mapping[str, str]


NO_REFERENCES = References({}, {})


# -- normalising ---------------------------------------------------------------
def normalise(name: str, value: Any) -> Any:
    """A value as the comparison sees it (the rules in the module doc)."""
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "lines" and isinstance(value, list | tuple):
        return [_line(line) for line in value if isinstance(line, Mapping)]
    if leaf in MONEY:
        return _decimal(value)
    if leaf == "email" and isinstance(value, str):
        return email_key(" ".join(value.split()))
    return _clean(value)


def _line(line: Mapping[str, Any]) -> dict[str, Any]:
    return {key: normalise(key, line.get(key)) for key in LINE_FIELDS}


def _decimal(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return format(Decimal(str(value).strip()).normalize(), "f")
    except InvalidOperation:  # not a number: compared as text
        return _clean(value)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, Mapping):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v is not None} or None
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def in_crm_ids(record: Mapping[str, Any], references: References) -> dict[str, Any]:
    """A QBO document with its references as CRM ids (``qbo:<id>`` when the
    QBO record has no link)."""

    def crm_id(table: Mapping[str, str], qbo_id: Any) -> str | None:
        if qbo_id is None:
            return None
        return table.get(str(qbo_id), f"qbo:{qbo_id}")

    translated = dict(record)
    if "party_id" in record:
        translated["party_id"] = crm_id(references.contacts, record["party_id"])
    if isinstance(record.get("lines"), list | tuple):
        translated["lines"] = [
            {**line, "product_id": crm_id(references.products, line.get("product_id"))}
            for line in record["lines"]
            if isinstance(line, Mapping)
        ]
    return translated


# -- comparing -----------------------------------------------------------------
def differences(
    crm: Mapping[str, Any],
    qbo: Mapping[str, Any],
    keys: Iterable[str],
    mapping: FieldMapping,
) -> list[tuple[str, Any, Any]]:
    """(field, CRM value, QBO value) of each key whose values differ once
    normalised; a key either record does not carry is skipped. ``qbo`` is
    already in CRM ids (``in_crm_ids``)."""
    qbo_path = {pair.crm: pair.qbo for pair in mapping.extra}
    crm_unknown = frozenset(crm.get(NOT_CARRIED) or ())
    qbo_unknown = frozenset(qbo.get(NOT_CARRIED) or ())
    found = []
    for key in sorted(set(keys)):
        theirs = qbo_path.get(key, key)
        if key in crm_unknown or theirs in qbo_unknown:
            continue
        if key.split(".")[0] in crm_unknown or theirs.split(".")[0] in qbo_unknown:
            continue
        mine = normalise(key, value_at(crm, key))
        other = normalise(key, value_at(qbo, theirs))
        if mine != other:
            found.append((key, mine, other))
    return found


def shown(value: Any) -> str | None:
    """A normalised value as one cell of a table."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def reconcile(
    pair: Pair,
    crm: Iterable[Item],
    qbo: Iterable[Item],
    links: Iterable[LinkView],
    mapping: FieldMapping,
    references: References = NO_REFERENCES,
) -> list[Finding]:
    """Every finding of one pair kind (see the module doc), CRM's first."""
    crm_by_id = {item.external_id: item for item in crm}
    qbo_by_id = {item.external_id: item for item in qbo}
    every_link = list(links)
    by_crm = {link.crm_id: link for link in every_link if link.crm_id is not None}
    by_qbo = {link.qbo_id: link for link in every_link if link.qbo_id is not None}
    findings: list[Finding] = []
    for rid, item in crm_by_id.items():
        link = by_crm.get(rid)
        if link is not None and link.state in RETIRED:
            continue
        other = link.qbo_id if link is not None else None
        if item.record is None:
            findings.append(
                Finding("unreadable", rid, other, item.label, crm_value=item.error)
            )
        elif link is None or other is None or other not in qbo_by_id:
            findings.append(Finding("missing_in_qbo", rid, other, item.label))
        else:
            twin = qbo_by_id[other]
            findings += _differing(pair, link, item, twin, mapping, references)
    for rid, item in qbo_by_id.items():
        link = by_qbo.get(rid)
        if link is not None and link.state in RETIRED:
            continue
        other = link.crm_id if link is not None else None
        if item.record is None:
            findings.append(
                Finding("unreadable", other, rid, item.label, qbo_value=item.error)
            )
        elif other is None or other not in crm_by_id:
            findings.append(Finding("missing_in_crm", other, rid, item.label))
    return findings


def _differing(
    pair: Pair,
    link: LinkView,
    crm: Item,
    qbo: Item,
    mapping: FieldMapping,
    references: References,
) -> list[Finding]:
    """A linked pair's differing fields (none while the QBO one is unreadable:
    that is its own finding)."""
    if crm.record is None or qbo.record is None:
        return []
    theirs = qbo.record
    if pair.kind in DOCUMENTS:
        theirs = in_crm_ids(theirs, references)
    return [
        Finding(
            "differs",
            crm.external_id,
            qbo.external_id,
            crm.label or qbo.label,
            name,
            shown(mine),
            shown(other),
        )
        for name, mine, other in differences(
            crm.record, theirs, link.base_keys, mapping
        )
    ]


def counts(findings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    tally = dict.fromkeys(FINDINGS, 0)
    for finding in findings:
        tally[finding["finding"]] = tally.get(finding["finding"], 0) + 1
    return tally
