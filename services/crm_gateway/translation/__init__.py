"""Zoho CRM JSON ⇄ canonical records: pure functions, no I/O (docs/TRANSLATION.md)."""

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
from services.crm_gateway.translation.matchkeys import (
    normalise_email,
    normalise_name,
    same_email,
    same_name,
    zoho_criteria,
)
from services.crm_gateway.translation.products import product_from_zoho, product_to_zoho
from services.crm_gateway.translation.vendors import vendor_from_zoho, vendor_to_zoho
from services.qbo_gateway.translation.fieldmap import FieldLink, FieldMap
from services.qbo_gateway.translation.reader import TranslationError

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
    "normalise_email",
    "normalise_name",
    "product_from_zoho",
    "product_to_zoho",
    "quote_from_zoho",
    "same_email",
    "same_name",
    "vendor_from_zoho",
    "vendor_to_zoho",
    "zoho_criteria",
]
