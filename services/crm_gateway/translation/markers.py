"""CRM marker fields: status written back to Zoho after a sync.

ONE table of Zoho API names (the same as the Zoho sandbox's schema and the
matcher's ``services/matcher/markers.py``); a rename is a one-line fix here.
Markers are never read into canonical records, so writing them back cannot
change a content hash. Keys may be the canonical marker keys or the Zoho API
names themselves (the matcher sends the latter).
"""

from __future__ import annotations

from typing import Any

QBO_CUSTOMER_ID = "QuickBooks_Customer_Id"
QBO_ITEM_ID = "QuickBooks_Item_Id"
QBO_INVOICE_ID = "QuickBooks_Invoice_Id"
QBO_ESTIMATE_ID = "QuickBooks_Estimate_Id"
QBSYNC = "QBSYNC"
SUBJECT = "Subject"
FETCH_PRODUCT_DETAILS = "Fetch_Product_Details"

MARKER_FIELDS: dict[str, str] = {
    "qbo_customer_id": QBO_CUSTOMER_ID,
    "qbo_item_id": QBO_ITEM_ID,
    "qbo_invoice_id": QBO_INVOICE_ID,
    "qbo_estimate_id": QBO_ESTIMATE_ID,
    "qbsync": QBSYNC,
    "subject": SUBJECT,
    "fetch_product_details": FETCH_PRODUCT_DETAILS,
}
CHECKBOXES = frozenset({QBSYNC, FETCH_PRODUCT_DETAILS})

MODULE_MARKERS: dict[str, frozenset[str]] = {
    "Contacts": frozenset({QBO_CUSTOMER_ID}),
    "Products": frozenset({QBO_ITEM_ID, FETCH_PRODUCT_DETAILS}),
    "Invoices": frozenset({QBO_INVOICE_ID, QBSYNC, SUBJECT}),
    "Quotes": frozenset({QBO_ESTIMATE_ID, QBSYNC, SUBJECT}),
}
MODULE_OF_ENTITY = {
    "contact": "Contacts",
    "product": "Products",
    "invoice": "Invoices",
    "quote": "Quotes",
}
TRUE_TEXT = frozenset({"true", "1", "yes"})


def markers_to_zoho(module: str, markers: dict[str, Any]) -> dict[str, Any]:
    """Zoho update fields for ``markers``; None clears (a checkbox becomes false)."""
    module_name = MODULE_OF_ENTITY.get(module, module)
    allowed = MODULE_MARKERS.get(module_name)
    if allowed is None:
        raise ValueError(f"Zoho module {module!r} has no marker fields")
    body: dict[str, Any] = {}
    for key, value in markers.items():
        api_name = MARKER_FIELDS.get(key, key)
        if api_name not in allowed:
            raise ValueError(f"{module_name} has no marker {key!r}")
        body[api_name] = _checkbox(value) if api_name in CHECKBOXES else _text(value)
    return body


def markers_from_zoho(module: str, data: dict[str, Any]) -> dict[str, Any]:
    """The marker values a Zoho record carries, by canonical marker key."""
    module_name = MODULE_OF_ENTITY.get(module, module)
    allowed = MODULE_MARKERS.get(module_name, frozenset())
    return {
        key: data.get(api_name)
        for key, api_name in MARKER_FIELDS.items()
        if api_name in allowed and api_name in data
    }


def _checkbox(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in TRUE_TEXT


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
