"""QBO Vendor ⇄ canonical Vendor (name = DisplayName)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from common.messages import Version
from common.records import Vendor
from common.translation.fieldmap import FieldMap
from common.translation.fields import (
    Mapped,
    Selection,
    read_mapped,
    write_mapped,
)
from common.translation.reader import Reader
from services.qbo_gateway.translation.common import (
    address_from_qbo,
    address_to_qbo,
    finish_body,
)
from services.qbo_gateway.translation.custom_fields import read_custom, write_custom
from services.qbo_gateway.translation.versions import version_from_qbo

VENDOR_FIELDS = (
    Mapped("name", "DisplayName"),
    Mapped("email", "PrimaryEmailAddr.Address"),
    Mapped("phone", "PrimaryPhone.FreeFormNumber"),
    Mapped("company_name", "CompanyName"),
    Mapped("website", "WebAddr.URI"),
)


def vendor_from_qbo(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[Vendor, Version]:
    reader = Reader("Vendor", data)
    reader.required_id()
    values = read_mapped(reader, VENDOR_FIELDS)
    values["name"] = reader.required_text("DisplayName")
    vendor = Vendor(
        **values,
        address=address_from_qbo(reader, "BillAddr"),
        active=bool(reader.boolean("Active", default=True)),
        custom=read_custom(reader, field_map),
    )
    return vendor, version_from_qbo(reader)


def vendor_to_qbo(
    vendor: Vendor,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    sync_token: str | int | None = None,
    field_map: FieldMap | None = None,
) -> dict[str, Any]:
    chosen = Selection.of(vendor, fields, existing_id)
    body: dict[str, Any] = {}
    write_mapped(vendor, VENDOR_FIELDS, chosen, body)
    if "address" in chosen:
        body["BillAddr"] = address_to_qbo(vendor.address)
    if "active" in chosen:
        body["Active"] = vendor.active
    write_custom(vendor.custom, field_map, chosen, body)
    return finish_body(
        body, entity="Vendor", existing_id=existing_id, sync_token=sync_token
    )
