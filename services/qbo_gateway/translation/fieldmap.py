"""Per-connection extra fields: an API field carried in ``record.custom``.

A ``FieldMap`` lists pairs of (API field path, custom key) for one entity of
one system, e.g. Zoho Contacts ``Customer_Tier`` ⇄ ``custom["tier"]`` and QBO
Customer ``Notes`` ⇄ ``custom["tier"]``; the matcher pairs the two custom keys.
Values travel as text (None when empty); QBO transaction custom fields are
addressed as ``CustomField#<DefinitionId>``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.qbo_gateway.translation.fields import Selection
from services.qbo_gateway.translation.reader import Reader, TranslationError, set_path

CUSTOM_FIELD = "CustomField#"


class FieldLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    api_field: str = Field(min_length=1)
    custom_key: str = Field(min_length=1)


class FieldMap(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    links: tuple[FieldLink, ...] = ()

    @classmethod
    def of(cls, pairs: dict[str, str]) -> FieldMap:
        """``{api_field: custom_key}`` as a FieldMap."""
        return cls(
            links=tuple(FieldLink(api_field=a, custom_key=c) for a, c in pairs.items())
        )


def read_custom(reader: Reader, field_map: FieldMap | None) -> dict[str, str | None]:
    if field_map is None:
        return {}
    values: dict[str, str | None] = {}
    for link in field_map.links:
        if link.api_field.startswith(CUSTOM_FIELD):
            values[link.custom_key] = _qbo_custom_field(reader, link.api_field)
        else:
            values[link.custom_key] = _as_text(reader, link.api_field)
    return values


def write_custom(
    custom: dict[str, str | None],
    field_map: FieldMap | None,
    chosen: Selection,
    body: dict[str, Any],
) -> None:
    if field_map is None:
        return
    for link in field_map.links:
        if not chosen.custom_wanted(link.custom_key):
            continue
        value = custom.get(link.custom_key)
        if link.api_field.startswith(CUSTOM_FIELD):
            definition = link.api_field.removeprefix(CUSTOM_FIELD)
            entry = {
                "DefinitionId": definition,
                "Type": "StringType",
                "StringValue": value,
            }
            body.setdefault("CustomField", []).append(entry)
        else:
            set_path(body, link.api_field, value)


def _as_text(reader: Reader, path: str) -> str | None:
    value = reader.raw(path)
    if value is None:
        return None
    if isinstance(value, dict):
        # Lookups and refs: Zoho {"name","id"}, QBO {"value","name"}.
        value = value.get("name") or value.get("value")
        return None if value is None else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        raise TranslationError(
            reader.entity, reader.record_id, path, "lists are not mapped"
        )
    text = str(value)
    return text if text.strip() else None


def _qbo_custom_field(reader: Reader, api_field: str) -> str | None:
    definition = api_field.removeprefix(CUSTOM_FIELD)
    for entry in reader.records("CustomField"):
        if str(entry.get("DefinitionId")) == definition:
            value = entry.get("StringValue")
            return str(value) if value not in (None, "") else None
    return None
