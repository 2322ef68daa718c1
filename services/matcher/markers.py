"""CRM status fields written back after a successful sync (Zoho API names).

They are not canonical fields, so they never enter a projection or a hash:
writing them back echoes harmlessly. In a WriteCommand's ``markers`` a value
of None clears the field (a checkbox becomes false).
"""

from __future__ import annotations

from common.connection_settings import ConnectionSettings

CUSTOMER_ID = "QuickBooks_Customer_Id"
ITEM_ID = "QuickBooks_Item_Id"
INVOICE_ID = "QuickBooks_Invoice_Id"
ESTIMATE_ID = "QuickBooks_Estimate_Id"
QBSYNC = "QBSYNC"
SUBJECT = "Subject"
FETCH_PRODUCT_DETAILS = "Fetch_Product_Details"

ID_MARKER = {
    "contact": CUSTOMER_ID,
    "product": ITEM_ID,
    "invoice": INVOICE_ID,
    "quote": ESTIMATE_ID,
}


def synced_markers(
    kind: str, qbo_id: str, settings: ConnectionSettings
) -> dict[str, str | None]:
    """What a CRM record of this kind carries once linked to QBO record ``qbo_id``."""
    name = ID_MARKER.get(kind)
    if name is None:
        return {}
    markers: dict[str, str | None] = {name: qbo_id}
    if kind in ("invoice", "quote"):
        markers[QBSYNC] = "true"
        wants_subject = (
            settings.subject_is_qbo_id
            if kind == "invoice"
            else settings.quote_subject_is_qbo_id
        )
        if wants_subject:
            markers[SUBJECT] = qbo_id
    return markers


def unsynced_markers(kind: str) -> dict[str, str | None]:
    return {QBSYNC: None} if kind in ("invoice", "quote") else {}
