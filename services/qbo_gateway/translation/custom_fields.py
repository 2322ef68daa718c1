"""Extra fields on QBO records, including transaction custom fields.

A link's ``api_field`` is a dotted path, or ``CustomField#<DefinitionId>``
for a transaction custom field: read from that entry's ``StringValue``,
written as ``{DefinitionId, Type: "StringType", StringValue}``.
"""

from __future__ import annotations

from typing import Any

from common.translation import fieldmap
from common.translation.fieldmap import FieldMap, field_text
from common.translation.fields import Selection
from common.translation.reader import Reader, set_path

CUSTOM_FIELD = "CustomField#"


def read_custom(reader: Reader, field_map: FieldMap | None) -> dict[str, str | None]:
    return fieldmap.read_custom(reader, field_map, _read_field)


def write_custom(
    custom: dict[str, str | None],
    field_map: FieldMap | None,
    chosen: Selection,
    body: dict[str, Any],
) -> None:
    fieldmap.write_custom(custom, field_map, chosen, body, _write_field)


def _read_field(reader: Reader, api_field: str) -> str | None:
    if not api_field.startswith(CUSTOM_FIELD):
        return field_text(reader, api_field)
    definition = api_field.removeprefix(CUSTOM_FIELD)
    for entry in reader.records("CustomField"):
        if str(entry.get("DefinitionId")) == definition:
            value = entry.get("StringValue")
            return str(value) if value not in (None, "") else None
    return None


def _write_field(body: dict[str, Any], api_field: str, value: str | None) -> None:
    if not api_field.startswith(CUSTOM_FIELD):
        set_path(body, api_field, value)
        return
    entry = {
        "DefinitionId": api_field.removeprefix(CUSTOM_FIELD),
        "Type": "StringType",
        "StringValue": value,
    }
    body.setdefault("CustomField", []).append(entry)
