"""Zoho Vendors ⇄ canonical Vendor.

Zoho vendors have no company or active field: both are not carried (never
read as empty, never written); deletions arrive through the deleted-records
list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from common.messages import Version
from common.records import Vendor
from common.translation.fieldmap import (
    FieldMap,
    read_custom,
    write_custom,
)
from common.translation.fields import (
    Mapped,
    Selection,
    read_mapped,
    write_mapped,
)
from services.crm_gateway.translation.common import (
    address_from_zoho,
    address_keys,
    address_to_zoho,
    finish_body,
    keys_of,
    not_carried,
    zoho_reader,
)
from services.crm_gateway.translation.versions import version_from_zoho

VENDOR_FIELDS = (
    Mapped("name", "Vendor_Name"),
    Mapped("email", "Email"),
    Mapped("phone", "Phone"),
    Mapped("website", "Website"),
)
NEVER_CARRIED = ("company_name", "active")
READ_FROM = {**keys_of(VENDOR_FIELDS), "address": address_keys("", "Zip_Code")}


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
        not_carried=not_carried(reader, NEVER_CARRIED, READ_FROM, field_map),
    )
    return vendor, version_from_zoho(reader)


def vendor_to_zoho(
    vendor: Vendor,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    field_map: FieldMap | None = None,
) -> dict[str, Any]:
    chosen = Selection.of(vendor, fields, existing_id)
    body: dict[str, Any] = {}
    write_mapped(vendor, VENDOR_FIELDS, chosen, body)
    if "address" in chosen:
        address_to_zoho(vendor.address, "", "Zip_Code", body)
    write_custom(vendor.custom, field_map, chosen, body)
    return finish_body(body, existing_id)
