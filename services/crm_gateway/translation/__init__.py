"""Zoho CRM JSON ⇄ canonical records: pure functions, no I/O (docs/TRANSLATION.md)."""

from common.translation.fieldmap import FieldLink, FieldMap
from common.translation.reader import TranslationError
from services.crm_gateway.translation.accounts import account_from_zoho, account_to_zoho
from services.crm_gateway.translation.contacts import contact_from_zoho, contact_to_zoho
from services.crm_gateway.translation.documents import (
    document_from_zoho,
    document_to_zoho,
    invoice_from_zoho,
    quote_from_zoho,
)
from services.crm_gateway.translation.markers import (
    MARKER_FIELDS,
    markers_from_zoho,
    markers_to_zoho,
)
from services.crm_gateway.translation.products import product_from_zoho, product_to_zoho
from services.crm_gateway.translation.vendors import vendor_from_zoho, vendor_to_zoho

__all__ = [
    "MARKER_FIELDS",
    "FieldLink",
    "FieldMap",
    "TranslationError",
    "account_from_zoho",
    "account_to_zoho",
    "contact_from_zoho",
    "contact_to_zoho",
    "document_from_zoho",
    "document_to_zoho",
    "invoice_from_zoho",
    "markers_from_zoho",
    "markers_to_zoho",
    "product_from_zoho",
    "product_to_zoho",
    "quote_from_zoho",
    "vendor_from_zoho",
    "vendor_to_zoho",
]
