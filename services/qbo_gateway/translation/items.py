"""QBO Item ⇄ canonical Product.

QBO needs a Type and an income account to create an item; which ones is a
per-connection choice, so the caller passes them. We create Service items by
default: they need no inventory accounts or quantities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from common.messages import Version
from common.records import Product
from common.translation.fieldmap import FieldMap
from common.translation.fields import (
    Mapped,
    Selection,
    read_mapped,
    write_mapped,
)
from common.translation.reader import Reader
from services.qbo_gateway.translation.common import finish_body, ref
from services.qbo_gateway.translation.custom_fields import read_custom, write_custom
from services.qbo_gateway.translation.versions import version_from_qbo

PRODUCT_FIELDS = (
    Mapped("name", "Name"),
    Mapped("description", "Description"),
    Mapped("unit_price", "UnitPrice", "decimal"),
    Mapped("sku", "Sku"),
    Mapped("taxable", "Taxable", "bool"),
)


def item_from_qbo(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[Product, Version]:
    reader = Reader("Item", data)
    reader.required_id()
    values = read_mapped(reader, PRODUCT_FIELDS)
    values["name"] = reader.required_text("Name")
    product = Product(
        **values,
        active=bool(reader.boolean("Active", default=True)),
        custom=read_custom(reader, field_map),
        not_carried=("fetch_requested",),  # a CRM checkbox
    )
    return product, version_from_qbo(reader)


def item_to_qbo(
    product: Product,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    sync_token: str | int | None = None,
    field_map: FieldMap | None = None,
    item_type: str = "Service",
    income_account_id: str | None = None,
) -> dict[str, Any]:
    """A create body, or with ``existing_id`` a sparse update of ``fields``.

    ``fetch_requested`` is a CRM-side trigger, never written to QBO.
    """
    chosen = Selection.of(product, fields, existing_id)
    body: dict[str, Any] = {}
    write_mapped(product, PRODUCT_FIELDS, chosen, body)
    if "active" in chosen:
        body["Active"] = product.active
    if existing_id is None:
        body["Type"] = item_type
        body["IncomeAccountRef"] = ref(income_account_id)
    write_custom(product.custom, field_map, chosen, body)
    return finish_body(
        body, entity="Item", existing_id=existing_id, sync_token=sync_token
    )
