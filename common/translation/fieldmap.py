"""Per-connection extra fields: an API field carried in ``record.custom``.

A ``FieldMap`` lists pairs of (API field path, custom key) for one entity of
one system, e.g. Zoho Contacts ``Customer_Tier`` ⇄ ``custom["tier"]`` and QBO
Customer ``Notes`` ⇄ ``custom["tier"]``; the matcher pairs the two custom keys.
Values travel as text (None when empty). A path is dotted; a gateway whose API
addresses some fields otherwise passes its own ``read_field``/``write_field``
(QBO's transaction custom fields, ``CustomField#<DefinitionId>``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from common.translation.fields import Selection
from common.translation.reader import Reader, TranslationError, set_path

ReadField = Callable[[Reader, str], str | None]
WriteField = Callable[[dict[str, Any], str, str | None], None]


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


def field_text(reader: Reader, path: str) -> str | None:
    """The value at ``path`` as the text an extra field carries."""
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


def read_custom(
    reader: Reader,
    field_map: FieldMap | None,
    read_field: ReadField = field_text,
) -> dict[str, str | None]:
    if field_map is None:
        return {}
    return {
        link.custom_key: read_field(reader, link.api_field) for link in field_map.links
    }


def write_custom(
    custom: dict[str, str | None],
    field_map: FieldMap | None,
    chosen: Selection,
    body: dict[str, Any],
    write_field: WriteField = set_path,
) -> None:
    if field_map is None:
        return
    for link in field_map.links:
        if chosen.custom_wanted(link.custom_key):
            write_field(body, link.api_field, custom.get(link.custom_key))
