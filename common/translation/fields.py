"""Field tables shared by both gateways: one row per synced scalar field.

A row names the canonical field, the API path and how the value is typed; the
same row drives both directions, so the two directions cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from common.records import Canonical
from common.translation.money import json_number
from common.translation.reader import Reader, set_path

Kind = Literal["text", "decimal", "bool"]


@dataclass(frozen=True)
class Mapped:
    field: str  # canonical
    path: str  # API, dotted for nested objects
    kind: Kind = "text"


class Selection:
    """Which canonical fields a write carries: all of them, or the changed ones,
    never one the record does not carry (its value would be written as a clear).

    Names must be fields of the record type (or ``custom.<key>``), so a typo in
    a write command fails loudly instead of silently writing nothing.
    """

    def __init__(
        self,
        record_type: type[BaseModel],
        fields: Sequence[str] = (),
        not_carried: Iterable[str] = (),
    ):
        known = set(record_type.model_fields)
        for name in fields:
            base = name.split(".", 1)[0]
            if base not in known:
                raise ValueError(
                    f"{record_type.__name__} has no field {name!r} to write"
                )
        self.everything = not fields
        self.names = frozenset(fields)
        self.not_carried = frozenset(not_carried)

    @classmethod
    def of(
        cls, record: Canonical, fields: Sequence[str], existing_id: str | None
    ) -> Selection:
        """A create writes every carried field; an update only ``fields``."""
        return cls(type(record), fields if existing_id else (), record.not_carried)

    def __contains__(self, name: object) -> bool:
        if name in self.not_carried:
            return False
        return self.everything or name in self.names

    def custom_wanted(self, key: str) -> bool:
        if f"custom.{key}" in self.not_carried:
            return False
        return self.everything or "custom" in self.names or f"custom.{key}" in self


def read_mapped(reader: Reader, table: Iterable[Mapped]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for row in table:
        if row.kind == "decimal":
            values[row.field] = reader.decimal(row.path)
        elif row.kind == "bool":
            values[row.field] = reader.boolean(row.path)
        else:
            values[row.field] = reader.text(row.path)
    return values


def write_mapped(
    record: BaseModel, table: Iterable[Mapped], chosen: Selection, body: dict[str, Any]
) -> None:
    for row in table:
        if row.field in chosen:
            set_path(body, row.path, api_value(getattr(record, row.field)))


def api_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, str):
        return value.strip() or None
    return value


def prune(value: Any) -> Any:
    """Drop nulls and empty objects: a create sends only what it knows."""
    if isinstance(value, dict):
        cleaned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value
