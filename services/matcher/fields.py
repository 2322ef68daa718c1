"""Which fields sync, and how a record looks in "sync space".

A record is projected onto a flat dict ``{sync field: normalised value}``
named after the CRM side; per-connection overrides add pairs of paths
(``custom.X`` ⇄ ``custom.Y``) or drop fields. Document references are in CRM
ids in sync space (``references`` translates). Only these projections are
compared and hashed, so CRM marker fields never look like a change.

A field the record does not carry (``not_carried``: its side has no such
field, keeps it in another record, or did not fetch it) is left out of the
projection: absent means "unknown, unchanged", never "empty".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.connection_settings import FieldMapping
from common.hashing import content_hash
from common.synced_fields import (
    NOT_CARRIED,
    SYNC_FIELDS,
    normalise,
    value_at,
)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    crm: str
    qbo: str

    def path(self, system: str) -> str:
        return self.crm if system == "crm" else self.qbo


def field_specs(kind: str, mapping: FieldMapping) -> tuple[FieldSpec, ...]:
    specs = [FieldSpec(f, f, f) for f in SYNC_FIELDS[kind] if f not in mapping.exclude]
    specs += [FieldSpec(pair.crm, pair.crm, pair.qbo) for pair in mapping.extra]
    return tuple(specs)


def project(
    record: dict[str, Any], system: str, specs: tuple[FieldSpec, ...]
) -> dict[str, Any]:
    """The record's synced values; fields it does not carry are left out."""
    unknown = not_carried(record)
    return {
        spec.name: normalise(spec.name, value_at(record, spec.path(system)))
        for spec in specs
        if spec.path(system) not in unknown
    }


def not_carried(record: dict[str, Any]) -> frozenset[str]:
    return frozenset(record.get(NOT_CARRIED) or ())


def unknown_paths(
    values: dict[str, Any], system: str, specs: tuple[FieldSpec, ...]
) -> list[str]:
    """Paths on ``system`` of the synced fields ``values`` does not hold: a
    record written from ``values`` does not carry them (never a clear)."""
    return sorted(spec.path(system) for spec in specs if spec.name not in values)


def carrying(record: dict[str, Any], *paths: str) -> dict[str, Any]:
    """``record`` saying it carries ``paths`` (the caller has set them)."""
    rest = not_carried(record).difference(paths)
    return {**record, NOT_CARRIED: sorted(rest)}


def unproject(
    values: dict[str, Any],
    system: str,
    specs: tuple[FieldSpec, ...],
    into: dict[str, Any] | None = None,
) -> dict[str, Any]:
    record = {
        k: (dict(v) if isinstance(v, dict) else v) for k, v in (into or {}).items()
    }
    for spec in specs:
        if spec.name in values:
            _set(record, spec.path(system), values[spec.name])
    return record


def paths_of(
    names: list[str], system: str, specs: tuple[FieldSpec, ...]
) -> tuple[str, ...]:
    by_name = {spec.name: spec.path(system) for spec in specs}
    return tuple(by_name[name] for name in names if name in by_name)


def values_hash(values: dict[str, Any]) -> str:
    return content_hash(values)


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = record
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = {}
        target[part] = child = dict(child)
        target = child
    target[last] = value
