"""Zoho Vendors ⇄ canonical Vendor.

Zoho vendors have no company or active field: company_name reads as empty
and is not written; deletions arrive through the deleted-records list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from common.messages import Version
from common.records import Vendor
from services.crm_gateway.translation.common import (
    address_from_zoho,
    address_to_zoho,
    finish_body,
    zoho_reader,
)
from services.crm_gateway.translation.versions import version_from_zoho
from services.qbo_gateway.translation.fieldmap import (
    FieldMap,
    read_custom,
    write_custom,
)
from services.qbo_gateway.translation.fields import (
    Mapped,
    Selection,
    read_mapped,
    write_mapped,
)

VENDOR_FIELDS = (
    Mapped("name", "Vendor_Name"),
    Mapped("email", "Email"),
    Mapped("phone", "Phone"),
    Mapped("website", "Website"),
)


def vendor_from_zoho(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[Vendor, Version]:
    reader = zoho_reader("Vendors", data)
    values = read_mapped(reader, VENDOR_FIELDS)
    values["name"] = reader.required_text("Vendor_Name")
    vendor = Vendor(
        **values,
        address=address_from_zoho(reader, "", "Zip_Code"),
        custom=read_custom(reader, field_map),
    )
    return vendor, version_from_zoho(reader)


def vendor_to_zoho(
    vendor: Vendor,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    field_map: FieldMap | None = None,
) -> dict[str, Any]:
    chosen = Selection(Vendor, fields if existing_id else ())
    body: dict[str, Any] = {}
    write_mapped(vendor, VENDOR_FIELDS, chosen, body)
    if "address" in chosen:
        address_to_zoho(vendor.address, "", "Zip_Code", body)
    write_custom(vendor.custom, field_map, chosen, body)
    return finish_body(body, existing_id)
