"""Zoho shapes shared by every module: lookups, addresses, write bodies.

Reading, money and field tables come from ``common/translation``, shared
with the QBO gateway so both parse numbers and report errors the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from common.records import Address
from common.translation.fieldmap import FieldMap
from common.translation.fields import Mapped, prune
from common.translation.reader import Reader

ADDRESS_PARTS = (("city", "City"), ("region", "State"), ("country", "Country"))


def zoho_reader(module: str, data: Any) -> Reader:
    reader = Reader(module, data, id_key="id")
    reader.required_id()
    return reader


def keys_of(table: Iterable[Mapped]) -> dict[str, tuple[str, ...]]:
    """The Zoho key each mapped field is read from (its top-level part)."""
    return {row.field: (row.path.split(".", 1)[0],) for row in table}


def address_keys(prefix: str, code: str) -> tuple[str, ...]:
    return (
        f"{prefix}Street",
        *(f"{prefix}{key}" for _, key in ADDRESS_PARTS),
        f"{prefix}{code}",
    )


def not_carried(
    reader: Reader,
    never: Iterable[str],
    read_from: Mapping[str, Sequence[str]],
    field_map: FieldMap | None,
) -> tuple[str, ...]:
    """Fields this Zoho record does not carry: those the module never has,
    and those whose keys the payload lacks. Zoho answers every field it was
    asked for (null when empty), so a missing key was not fetched: unknown,
    not empty."""
    missing = {
        name
        for name, keys in read_from.items()
        if not any(key in reader.data for key in keys)
    }
    links = field_map.links if field_map is not None else ()
    missing |= {
        f"custom.{link.custom_key}"
        for link in links
        if link.api_field.split(".", 1)[0] not in reader.data
    }
    return tuple(sorted({*never, *missing}))


def lookup(value: str | None) -> dict[str, str] | None:
    return {"id": value} if value else None


def address_from_zoho(reader: Reader, prefix: str, code: str) -> Address | None:
    """``{prefix}Street`` holds both street lines, one per text line."""
    street = reader.text(f"{prefix}Street")
    line1, _, line2 = (street or "").partition("\n")
    values = {name: reader.text(f"{prefix}{key}") for name, key in ADDRESS_PARTS}
    address = Address(
        line1=line1 or None,
        line2=line2 or None,
        postal_code=reader.text(f"{prefix}{code}"),
        **values,
    )
    return address if address != Address() else None


def address_to_zoho(
    address: Address | None, prefix: str, code: str, body: dict[str, Any]
) -> None:
    address = address or Address()
    lines = [part for part in (address.line1, address.line2) if part]
    body[f"{prefix}Street"] = "\n".join(lines) or None
    for name, key in ADDRESS_PARTS:
        body[f"{prefix}{key}"] = getattr(address, name)
    body[f"{prefix}{code}"] = address.postal_code


def finish_body(body: dict[str, Any], existing_id: str | None) -> dict[str, Any]:
    """A create body (no nulls) or an update: Zoho changes only the keys sent,
    and a null clears the field."""
    if existing_id is None:
        created: dict[str, Any] = prune(body)
        return created
    return {"id": existing_id, **body}
