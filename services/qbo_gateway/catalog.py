"""The QBO entities we sync: bus names, API names, and their translations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common.messages import Version
from common.records import CanonicalRecord
from common.translation.fieldmap import FieldMap
from services.qbo_gateway.translation import customers, documents, items, vendors

FromApi = Callable[[dict[str, Any], FieldMap | None], tuple[CanonicalRecord, Version]]


@dataclass(frozen=True)
class QboEntity:
    bus: str  # entity name on the bus: customer, item, invoice, ...
    api: str  # QBO's: Customer, Item, Invoice, ...
    name_list: bool  # deactivated, never deleted; queries need Active IN
    from_api: FromApi

    def active_clause(self) -> str:
        """Queries on name lists return active rows only unless asked."""
        return " AND Active IN (true, false)" if self.name_list else ""


ENTITIES: dict[str, QboEntity] = {
    entity.bus: entity
    for entity in (
        QboEntity("customer", "Customer", True, customers.customer_from_qbo),
        QboEntity("item", "Item", True, items.item_from_qbo),
        QboEntity("vendor", "Vendor", True, vendors.vendor_from_qbo),
        QboEntity("invoice", "Invoice", False, documents.invoice_from_qbo),
        QboEntity("estimate", "Estimate", False, documents.estimate_from_qbo),
    )
}
BY_API_NAME = {entity.api: entity for entity in ENTITIES.values()}
