"""QBO Invoice / Estimate ⇄ canonical SalesDocument.

notes ⇄ PrivateNote (internal), terms ⇄ CustomerMemo (printed on the form):
QBO has no free-text terms (SalesTermRef is a payment-terms list entry).
A voided invoice is how QBO shows it: kept, amounts zeroed, PrivateNote
"Voided"; we report it as ``voided=True`` and status "Voided".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from common.messages import Version
from common.records import DocumentKind, SalesDocument
from common.translation.fieldmap import FieldMap
from common.translation.fields import Selection, api_value
from common.translation.reader import Reader
from services.qbo_gateway.translation.common import finish_body, ref
from services.qbo_gateway.translation.custom_fields import read_custom, write_custom
from services.qbo_gateway.translation.lines import lines_from_qbo, lines_to_qbo
from services.qbo_gateway.translation.versions import version_from_qbo

ENTITY: dict[DocumentKind, str] = {"invoice": "Invoice", "estimate": "Estimate"}
DUE_DATE: dict[DocumentKind, str] = {"invoice": "DueDate", "estimate": "ExpirationDate"}
ESTIMATE_STATUSES = ("Pending", "Accepted", "Closed", "Rejected")
DOC_NUMBER_MAX = 21
VOID_NOTE = "voided"
CRM_ONLY = ("subject", "account_id")  # and a live invoice's status: QBO has none


def invoice_from_qbo(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[SalesDocument, Version]:
    return document_from_qbo(data, "invoice", field_map)


def estimate_from_qbo(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[SalesDocument, Version]:
    return document_from_qbo(data, "estimate", field_map)


def document_from_qbo(
    data: dict[str, Any], kind: DocumentKind, field_map: FieldMap | None = None
) -> tuple[SalesDocument, Version]:
    reader = Reader(ENTITY[kind], data)
    reader.required_id()
    voided = is_voided(reader)
    status = reader.text("TxnStatus") if kind == "estimate" else None
    document = SalesDocument(
        kind=kind,
        number=reader.text("DocNumber"),
        party_id=reader.required_text("CustomerRef.value"),
        issue_date=reader.day("TxnDate"),
        due_date=reader.day(DUE_DATE[kind]),
        status="Voided" if voided else status,
        currency=reader.text("CurrencyRef.value"),
        lines=lines_from_qbo(reader),
        total=reader.decimal("TotalAmt"),
        notes=reader.text("PrivateNote"),
        terms=reader.text("CustomerMemo.value"),
        voided=voided,
        custom=read_custom(reader, field_map),
        not_carried=CRM_ONLY if voided or kind == "estimate" else (*CRM_ONLY, "status"),
    )
    return document, version_from_qbo(reader)


def is_voided(reader: Reader) -> bool:
    note = (reader.text("PrivateNote") or "").strip().lower()
    return note.startswith(VOID_NOTE) and not reader.decimal("TotalAmt")


def document_to_qbo(
    document: SalesDocument,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    sync_token: str | int | None = None,
    field_map: FieldMap | None = None,
    tax_codes: Mapping[str, str] | None = None,
    us_tax: bool = True,
    discount_account_id: str | None = None,
) -> dict[str, Any]:
    """A create body, or with ``existing_id`` a sparse update of ``fields``.

    ``lines`` is always sent whole: QBO replaces the Line array on update.
    ``tax_codes`` maps a source tax code (e.g. a Zoho tax name) to a QBO TaxCode
    id; ``us_tax`` allows the TAX/NON fallback for unmapped codes.
    Never written: total, status of invoices, voided (void is an operation),
    subject and account_id (CRM only).
    """
    kind = document.kind
    entity = ENTITY[kind]
    chosen = Selection.of(document, fields, existing_id)
    body: dict[str, Any] = {}
    if "number" in chosen and len(document.number or "") <= DOC_NUMBER_MAX:
        # A longer CRM number cannot be a DocNumber; QBO then numbers it itself.
        body["DocNumber"] = api_value(document.number)
    if "party_id" in chosen:
        if not document.party_id:
            raise ValueError(f"{entity} {existing_id or '(new)'}: party_id is required")
        body["CustomerRef"] = ref(document.party_id)
    # QBO refuses a null date (2010 "invalid date None"): an empty one is
    # left out, so QBO keeps (or on create, picks) its own.
    if "issue_date" in chosen and document.issue_date is not None:
        body["TxnDate"] = document.issue_date.isoformat()
    if "due_date" in chosen and document.due_date is not None:
        body[DUE_DATE[kind]] = document.due_date.isoformat()
    if (
        "status" in chosen
        and kind == "estimate"
        and document.status in ESTIMATE_STATUSES
    ):
        body["TxnStatus"] = document.status
    if "currency" in chosen:
        body["CurrencyRef"] = ref(document.currency)
    if "lines" in chosen:
        body["Line"] = lines_to_qbo(
            document.lines,
            entity=entity,
            record_id=existing_id,
            tax_codes=tax_codes or {},
            us_tax=us_tax,
            discount_account_id=discount_account_id,
        )
    if "notes" in chosen:
        body["PrivateNote"] = api_value(document.notes)
    if "terms" in chosen:
        body["CustomerMemo"] = {"value": api_value(document.terms)}
    write_custom(document.custom, field_map, chosen, body)
    return finish_body(
        body, entity=entity, existing_id=existing_id, sync_token=sync_token
    )
