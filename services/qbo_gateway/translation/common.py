"""QBO shapes shared by every entity: envelopes, refs, addresses, write bodies."""

from __future__ import annotations

from typing import Any

from common.records import Address
from common.translation.fields import prune
from common.translation.reader import Reader

# QBO BillAddr has Line1..Line5; Line3+ are folded into line2 on read so a
# printed-label address (Line1 = person, Line2 = company, ...) loses nothing.
ADDRESS_PARTS = (
    ("city", "City"),
    ("region", "CountrySubDivisionCode"),
    ("postal_code", "PostalCode"),
    ("country", "Country"),
)


def unwrap(payload: dict[str, Any], entity: str) -> dict[str, Any]:
    """The entity inside a GET/create response (``{"Customer": {...}, "time"}``)."""
    inner = payload.get(entity)
    return inner if isinstance(inner, dict) else payload


def address_from_qbo(reader: Reader, path: str) -> Address | None:
    if not isinstance(reader.raw(path), dict):
        return None
    extra = [reader.text(f"{path}.Line{n}") for n in range(2, 6)]
    line2 = "\n".join(part for part in extra if part) or None
    values = {name: reader.text(f"{path}.{key}") for name, key in ADDRESS_PARTS}
    address = Address(line1=reader.text(f"{path}.Line1"), line2=line2, **values)
    return address if address != Address() else None


def address_to_qbo(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    body: dict[str, Any] = {"Line1": address.line1}
    for n, part in enumerate((address.line2 or "").split("\n")[:4], start=2):
        body[f"Line{n}"] = part or None
    for name, key in ADDRESS_PARTS:
        body[key] = getattr(address, name)
    return prune(body) or None


def ref(value: str | None) -> dict[str, str] | None:
    return {"value": value} if value else None


def finish_body(
    body: dict[str, Any],
    *,
    entity: str,
    existing_id: str | None,
    sync_token: str | int | None,
) -> dict[str, Any]:
    """A create body (no nulls) or a sparse update (a null clears the field)."""
    if existing_id is None:
        created: dict[str, Any] = prune(body)
        return created
    if sync_token is None:
        raise ValueError(f"{entity} {existing_id}: an update needs the SyncToken")
    return {"Id": existing_id, "SyncToken": str(sync_token), "sparse": True, **body}
