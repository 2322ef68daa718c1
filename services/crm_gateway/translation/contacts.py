"""Zoho Contacts ⇄ canonical Party (the person half of a QBO customer).

Company name and billing address live on the contact's Account (rule 5): a
contact does not carry them (``not_carried``); the matcher fills them in from
the account, and the crm-gateway writes them onto the account. Mailing_* are
the contact's own and are not mapped. Full_Name is read-only in Zoho, so
display_name is not mapped either, and Zoho contacts have no active flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from common.messages import Version
from common.records import Party
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
    finish_body,
    keys_of,
    lookup,
    not_carried,
    zoho_reader,
)
from services.crm_gateway.translation.versions import version_from_zoho

CONTACT_FIELDS = (
    Mapped("first_name", "First_Name"),
    Mapped("last_name", "Last_Name"),
    Mapped("email", "Email"),
    Mapped("phone", "Phone"),
    Mapped("mobile", "Mobile"),
)
NEVER_CARRIED = ("display_name", "company_name", "billing_address", "active")
READ_FROM = {**keys_of(CONTACT_FIELDS), "account_id": ("Account_Name",)}


def contact_from_zoho(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[Party, Version]:
    reader = zoho_reader("Contacts", data)
    party = Party(
        **read_mapped(reader, CONTACT_FIELDS),
        account_id=reader.text("Account_Name.id"),
        custom=read_custom(reader, field_map),
        not_carried=not_carried(reader, NEVER_CARRIED, READ_FROM, field_map),
    )
    return party, version_from_zoho(reader)


def contact_to_zoho(
    party: Party,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    field_map: FieldMap | None = None,
) -> dict[str, Any]:
    """A create body, or with ``existing_id`` an update of ``fields`` only."""
    chosen = Selection.of(party, fields, existing_id)
    body: dict[str, Any] = {}
    write_mapped(party, CONTACT_FIELDS, chosen, body)
    if not party.last_name and (existing_id is None or "Last_Name" in body):
        # Last_Name is mandatory in Zoho (a clear is refused); a QBO customer
        # may only have a company or display name.
        body["Last_Name"] = party.display_name or party.company_name or party.email
    if "account_id" in chosen:
        body["Account_Name"] = lookup(party.account_id)
    write_custom(party.custom, field_map, chosen, body)
    return finish_body(body, existing_id)
