"""QBO JSON ⇄ canonical records: pure functions, no I/O (docs/TRANSLATION.md)."""

from common.translation.fieldmap import FieldLink, FieldMap
from common.translation.reader import TranslationError
from services.qbo_gateway.translation.common import unwrap
from services.qbo_gateway.translation.customers import (
    customer_from_qbo,
    customer_to_qbo,
    default_display_name,
)
from services.qbo_gateway.translation.documents import (
    document_from_qbo,
    document_to_qbo,
    estimate_from_qbo,
    invoice_from_qbo,
    is_voided,
)
from services.qbo_gateway.translation.items import item_from_qbo, item_to_qbo
from services.qbo_gateway.translation.vendors import vendor_from_qbo, vendor_to_qbo

__all__ = [
    "FieldLink",
    "FieldMap",
    "TranslationError",
    "customer_from_qbo",
    "customer_to_qbo",
    "default_display_name",
    "document_from_qbo",
    "document_to_qbo",
    "estimate_from_qbo",
    "invoice_from_qbo",
    "is_voided",
    "item_from_qbo",
    "item_to_qbo",
    "unwrap",
    "vendor_from_qbo",
    "vendor_to_qbo",
]
