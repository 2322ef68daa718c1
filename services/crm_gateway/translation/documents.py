"""Zoho Invoices / Quotes ⇄ canonical SalesDocument.

notes ⇄ Description, terms ⇄ Terms_and_Conditions, party_id ⇄ Contact_Name,
account_id ⇄ Account_Name. Quotes have no issue date (issue_date is not
carried: a QBO estimate's TxnDate is neither stored here nor cleared from
here); their due date is Valid_Till and their status Quote_Stage. Zoho has
no void: ``voided`` is not carried (a void in QBO reaches the CRM as a
status change the matcher chooses). Invoice_Number / Quote_Number are
autonumbers, read but never written; Sub_Total, Tax and Grand_Total are
computed by Zoho and read only (Grand_Total is ``total``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from common.messages import Version
from common.records import DocumentKind, SalesDocument
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
from services.crm_gateway.translation.lines import lines_from_zoho, lines_to_zoho
from services.crm_gateway.translation.versions import version_from_zoho


@dataclass(frozen=True)
class Layout:
    module: str
    items: str
    number: str
    issue_date: str | None
    due_date: str
    status: str
    label: str

    def read_from(self) -> dict[str, tuple[str, ...]]:
        """The Zoho key of every field this module has."""
        keys = {
            **keys_of(TEXT_FIELDS),
            "number": (self.number,),
            "party_id": ("Contact_Name",),
            "account_id": ("Account_Name",),
            "due_date": (self.due_date,),
            "status": (self.status,),
            "lines": (self.items,),
            "total": ("Grand_Total",),
        }
        if self.issue_date is not None:
            keys["issue_date"] = (self.issue_date,)
        return keys

    def never_carried(self) -> tuple[str, ...]:
        return ("voided",) if self.issue_date else ("voided", "issue_date")


LAYOUTS: dict[DocumentKind, Layout] = {
    "invoice": Layout(
        "Invoices",
        "Invoiced_Items",
        "Invoice_Number",
        "Invoice_Date",
        "Due_Date",
        "Status",
        "Invoice",
    ),
    "estimate": Layout(
        "Quotes",
        "Quoted_Items",
        "Quote_Number",
        None,
        "Valid_Till",
        "Quote_Stage",
        "Quote",
    ),
}
TEXT_FIELDS = (
    Mapped("subject", "Subject"),
    Mapped("currency", "Currency"),
    Mapped("notes", "Description"),
    Mapped("terms", "Terms_and_Conditions"),
)


def invoice_from_zoho(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[SalesDocument, Version]:
    return document_from_zoho(data, "invoice", field_map)


def quote_from_zoho(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[SalesDocument, Version]:
    return document_from_zoho(data, "estimate", field_map)


def document_from_zoho(
    data: dict[str, Any], kind: DocumentKind, field_map: FieldMap | None = None
) -> tuple[SalesDocument, Version]:
    layout = LAYOUTS[kind]
    reader = zoho_reader(layout.module, data)
    document = SalesDocument(
        kind=kind,
        number=reader.text(layout.number),
        party_id=reader.text("Contact_Name.id"),
        account_id=reader.text("Account_Name.id"),
        issue_date=reader.day(layout.issue_date) if layout.issue_date else None,
        due_date=reader.day(layout.due_date),
        status=reader.text(layout.status),
        lines=lines_from_zoho(reader, layout.items, reader.decimal("Discount")),
        total=reader.decimal("Grand_Total"),
        custom=read_custom(reader, field_map),
        not_carried=not_carried(
            reader, layout.never_carried(), layout.read_from(), field_map
        ),
        **read_mapped(reader, TEXT_FIELDS),
    )
    return document, version_from_zoho(reader)


def document_to_zoho(
    document: SalesDocument,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    field_map: FieldMap | None = None,
) -> dict[str, Any]:
    """A create body, or with ``existing_id`` an update of ``fields`` only.

    Lines are sent whole (Zoho replaces the rows), with the document-level
    Discount set to 0 because the lines carry all of it.
    """
    layout = LAYOUTS[document.kind]
    chosen = Selection.of(document, fields, existing_id)
    body: dict[str, Any] = {}
    write_mapped(document, TEXT_FIELDS, chosen, body)
    if existing_id is None and not document.subject:
        # Subject is mandatory; the matcher may set it to the QBO id later.
        number = f" {document.number}" if document.number else ""
        body["Subject"] = f"{layout.label}{number}"
    if "party_id" in chosen:
        body["Contact_Name"] = lookup(document.party_id)
    if "account_id" in chosen:
        body["Account_Name"] = lookup(document.account_id)
    if "issue_date" in chosen and layout.issue_date:
        body[layout.issue_date] = _day(document.issue_date)
    if "due_date" in chosen:
        body[layout.due_date] = _day(document.due_date)
    if "status" in chosen:
        body[layout.status] = document.status
    if "lines" in chosen:
        body[layout.items] = lines_to_zoho(
            document.lines, module=layout.module, record_id=existing_id
        )
        body["Discount"] = 0
    write_custom(document.custom, field_map, chosen, body)
    return finish_body(body, existing_id)


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
