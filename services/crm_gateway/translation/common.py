"""Zoho shapes shared by every module: lookups, addresses, write bodies.

The reading, money and field-table helpers are the QBO gateway's, shared so
both gateways parse numbers and report errors the same way.
"""

from __future__ import annotations

from typing import Any

from common.records import Address
from services.qbo_gateway.translation.fields import prune
from services.qbo_gateway.translation.reader import Reader

ADDRESS_PARTS = (("city", "City"), ("region", "State"), ("country", "Country"))


def zoho_reader(module: str, data: Any) -> Reader:
    reader = Reader(module, data, id_key="id")
    reader.required_id()
    return reader


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
        return prune(body)
    return {"id": existing_id, **body}
