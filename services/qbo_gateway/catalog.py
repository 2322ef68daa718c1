"""The QBO entities we sync: bus names, API names, and their translations.

One ``EntitySpec`` per entity (``common/gateway/entities.py``), with the
translation functions themselves: ``*_from_qbo(data, field_map)`` →
``(record, version)`` and ``*_to_qbo(record, fields=, existing_id=,
sync_token=, field_map=, …)`` → a write body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from common.gateway.entities import EntitySpec
from common.translation.fieldmap import FieldMap
from services.qbo_gateway.translation import (
    customer_from_qbo,
    customer_to_qbo,
    document_to_qbo,
    estimate_from_qbo,
    invoice_from_qbo,
    item_from_qbo,
    item_to_qbo,
    vendor_from_qbo,
    vendor_to_qbo,
)


class QboWriter(Protocol):
    """The arguments every QBO writer takes: a create body, or with
    ``existing_id`` and ``sync_token`` a sparse update of ``fields``. Items
    and documents take more (income account, tax codes), which
    ``write_bodies.build_body`` passes them."""

    def __call__(
        self,
        record: Any,  # the entity's own record type (Party, Product, ...)
        /,
        *,
        fields: Sequence[str] = ...,
        existing_id: str | None = ...,
        sync_token: str | int | None = ...,
        field_map: FieldMap | None = ...,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, kw_only=True)
class QboEntity(EntitySpec[QboWriter]):
    """The shared spec and the query clause QBO's name lists need."""

    def active_clause(self) -> str:
        """Queries on name lists return active rows only unless asked."""
        return " AND Active IN (true, false)" if self.name_list else ""


ENTITIES: dict[str, QboEntity] = {
    entity.bus: entity
    for entity in (
        QboEntity(
            bus="customer",
            api="Customer",
            read=customer_from_qbo,
            write=customer_to_qbo,
            match_fields=(("PrimaryEmailAddr", "email"),),
            name_list=True,
            deactivate_field="Active",
        ),
        QboEntity(
            bus="item",
            api="Item",
            read=item_from_qbo,
            write=item_to_qbo,
            match_fields=(("Name", "name"),),
            name_list=True,
            deactivate_field="Active",
        ),
        QboEntity(
            bus="vendor",
            api="Vendor",
            read=vendor_from_qbo,
            write=vendor_to_qbo,
            match_fields=(("PrimaryEmailAddr", "email"), ("DisplayName", "name")),
            name_list=True,
            deactivate_field="Active",
        ),
        # Transactions have no inactive state: invoices are voided, estimates
        # rejected (write_bodies.deactivation_body).
        QboEntity(
            bus="invoice",
            api="Invoice",
            read=invoice_from_qbo,
            write=document_to_qbo,
            match_fields=(("DocNumber", "number"),),
            line_items=True,
        ),
        QboEntity(
            bus="estimate",
            api="Estimate",
            read=estimate_from_qbo,
            write=document_to_qbo,
            match_fields=(("DocNumber", "number"),),
            line_items=True,
        ),
    )
}
BY_API_NAME = {entity.api: entity for entity in ENTITIES.values()}
