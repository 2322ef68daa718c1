"""Zoho Products ⇄ canonical Product.

"Fetch Product Details" is read into ``fetch_requested`` (toggling it is how a
user forces a sync, rule 11) but never written here: the matcher resets it
through the markers, so resetting it cannot look like a content change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from common.messages import Version
from common.records import Product
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
    not_carried,
    zoho_reader,
)
from services.crm_gateway.translation.markers import FETCH_PRODUCT_DETAILS
from services.crm_gateway.translation.versions import version_from_zoho

PRODUCT_FIELDS = (
    Mapped("name", "Product_Name"),
    Mapped("description", "Description"),
    Mapped("unit_price", "Unit_Price", "decimal"),
    Mapped("sku", "Product_Code"),
    Mapped("taxable", "Taxable", "bool"),
)
READ_FROM = {
    **keys_of(PRODUCT_FIELDS),
    "active": ("Product_Active",),
    "fetch_requested": (FETCH_PRODUCT_DETAILS,),
}


def product_from_zoho(
    data: dict[str, Any], field_map: FieldMap | None = None
) -> tuple[Product, Version]:
    reader = zoho_reader("Products", data)
    values = read_mapped(reader, PRODUCT_FIELDS)
    values["name"] = reader.required_text("Product_Name")
    product = Product(
        **values,
        active=bool(reader.boolean("Product_Active", default=True)),
        fetch_requested=bool(reader.boolean(FETCH_PRODUCT_DETAILS, default=False)),
        custom=read_custom(reader, field_map),
        not_carried=not_carried(reader, (), READ_FROM, field_map),
    )
    return product, version_from_zoho(reader)


def product_to_zoho(
    product: Product,
    *,
    fields: Sequence[str] = (),
    existing_id: str | None = None,
    field_map: FieldMap | None = None,
) -> dict[str, Any]:
    chosen = Selection.of(product, fields, existing_id)
    body: dict[str, Any] = {}
    write_mapped(product, PRODUCT_FIELDS, chosen, body)
    if "active" in chosen:
        body["Product_Active"] = product.active
    write_custom(product.custom, field_map, chosen, body)
    return finish_body(body, existing_id)
