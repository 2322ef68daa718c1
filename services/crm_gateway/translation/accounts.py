"""Zoho Accounts ⇄ canonical Organization (the company half of a customer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from common.messages import Version
from common.records import Organization
from common.translation.fieldmap import (
    FieldMap,
    read_custom,
    write_custom,
)
from common.translation.fields import Mapped, Selection, write_mapped
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

ACCOUNT_FIELDS = (Mapped("name", "Account_Name"), Mapped("phone", "Phone"))
NEVER_CARRIED = ("active",)  # Zoho accounts have no inactive state
READ_FROM = {
    **keys_of(ACCOUNT_FIELDS),
    "billing_address": address_keys("Billing_", "Code"),
}


def account_from_zoho(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[Organization, Version]:
    reader = zoho_reader("Accounts", data)
    organization = Organization(
        name=reader.required_text("Account_Name"),
        phone=reader.text("Phone"),
        billing_address=address_from_zoho(reader, "Billing_", "Code"),
        custom=read_custom(reader, field_map),
        not_carried=not_carried(reader, NEVER_CARRIED, READ_FROM, field_map),
    )
    return organization, version_from_zoho(reader)


def account_to_zoho(
    organization: Organization,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    field_map: FieldMap | None = None,
) -> dict[str, Any]:
    chosen = Selection.of(organization, fields, existing_id)
    body: dict[str, Any] = {}
    write_mapped(organization, ACCOUNT_FIELDS, chosen, body)
    if "billing_address" in chosen:
        address_to_zoho(organization.billing_address, "Billing_", "Code", body)
    write_custom(organization.custom, field_map, chosen, body)
    return finish_body(body, existing_id)
