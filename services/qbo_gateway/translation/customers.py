"""QBO Customer ⇄ canonical Party.

Balance, Notes, MiddleName, ShipAddr and the other QBO fields are not mapped
(unless a FieldMap adds them), so they never change the content hash. QBO
leaves empty fields out of its answers, so a missing key reads as empty; only
account_id (a CRM Account) is not carried.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from common.messages import Version
from common.records import Party
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

PARTY_FIELDS = (
    Mapped("first_name", "GivenName"),
    Mapped("last_name", "FamilyName"),
    Mapped("display_name", "DisplayName"),
    Mapped("email", "PrimaryEmailAddr.Address"),
    Mapped("phone", "PrimaryPhone.FreeFormNumber"),
    Mapped("mobile", "Mobile.FreeFormNumber"),
    Mapped("company_name", "CompanyName"),
)


def customer_from_qbo(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[Party, Version]:
    reader = Reader("Customer", data)
    reader.required_id()
    values = read_mapped(reader, PARTY_FIELDS)
    if not values["first_name"] and not values["last_name"]:
        # Known only by its DisplayName: that is the person's name, as the CRM
        # (where Last_Name is mandatory) must hold it too. Read otherwise, the
        # name the CRM holds would look like a change, and its absence here
        # like a clear the CRM refuses.
        values["last_name"] = values["display_name"] or values["company_name"]
    party = Party(
        **values,
        billing_address=address_from_qbo(reader, "BillAddr"),
        active=bool(reader.boolean("Active", default=True)),
        custom=read_custom(reader, field_map),
        not_carried=("account_id",),
    )
    return party, version_from_qbo(reader)


def customer_to_qbo(
    party: Party,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    sync_token: str | int | None = None,
    field_map: FieldMap | None = None,
) -> dict[str, Any]:
    """A create body, or with ``existing_id`` a sparse update of ``fields``."""
    chosen = Selection.of(party, fields, existing_id)
    body: dict[str, Any] = {}
    write_mapped(party, PARTY_FIELDS, chosen, body)
    if "display_name" in chosen:
        # QBO refuses to clear DisplayName; on create it is required in practice.
        name = party.display_name or default_display_name(party)
        body["DisplayName"] = name
        if name is None:
            del body["DisplayName"]
    if "billing_address" in chosen:
        body["BillAddr"] = address_to_qbo(party.billing_address)
    if "active" in chosen:
        body["Active"] = party.active
    write_custom(party.custom, field_map, chosen, body)
    return finish_body(
        body, entity="Customer", existing_id=existing_id, sync_token=sync_token
    )


def default_display_name(party: Party) -> str | None:
    """What we call a customer whose source has no display name (a CRM contact).

    The person's full name, else the company, else the email: QBO builds a
    similar name itself, but we build it so the 6240 clash rule sees it.
    """
    person = " ".join(p.strip() for p in (party.first_name, party.last_name) if p)
    return person.strip() or party.company_name or party.email
