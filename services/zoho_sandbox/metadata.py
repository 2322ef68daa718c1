"""The metadata APIs (`/settings/modules`, `/settings/fields?module=`) that
clients such as Zoho's SDK read before they touch records."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .errors import invalid_module, required_param
from .schema import LINE_ITEM_FIELDS, MODULES, Field, Module, find_module

JSON_TYPES = {
    "integer": "integer",
    "double": "double",
    "currency": "double",
    "boolean": "boolean",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "subform": "jsonarray",
    "linetax": "jsonarray",
}
LINE_ITEM_MODULES = {"Invoiced_Items": "Invoices", "Quoted_Items": "Quotes"}


def _field_id(module_id: str, index: int) -> str:
    return f"{module_id[:-6]}{100_000 + index:06d}"


def describe_field(field: Field, module_id: str, index: int) -> dict[str, Any]:
    field_id = _field_id(module_id, index)
    lookup: dict[str, Any] = {}
    if field.lookup:
        target = MODULES[field.lookup]
        lookup = {
            "display_label": field.label,
            "api_name": field.api_name,
            "module": {"api_name": target.api_name, "id": target.module_id},
            "id": field_id,
        }
    subform = None
    if field.is_line_items:
        subform = {"module": field.api_name, "id": f"{module_id[:-2]}99"}
    return {
        "api_name": field.api_name,
        "field_label": field.label,
        "display_label": field.label,
        "data_type": field.data_type,
        "json_type": JSON_TYPES.get(field.data_type, "string"),
        "length": field.length,
        "id": field_id,
        "custom_field": field.custom,
        "system_mandatory": field.mandatory,
        "read_only": field.read_only,
        "field_read_only": field.read_only,
        "visible": True,
        "unique": {"casesensitive": False} if field.unique else {},
        "lookup": lookup,
        "subform": subform,
        "associated_module": subform,
        "pick_list_values": [
            {"display_value": value, "actual_value": value, "id": f"{field_id}{n}"}
            for n, value in enumerate(field.picklist)
        ],
        "operation_type": {
            "api_create": not field.read_only,
            "api_update": not field.read_only,
            "web_create": not field.read_only,
            "web_update": not field.read_only,
        },
    }


def describe_module(module: Module) -> dict[str, Any]:
    return {
        "api_name": module.api_name,
        "module_name": module.api_name,
        "singular_label": module.singular,
        "plural_label": module.api_name,
        "id": module.module_id,
        "api_supported": True,
        "generated_type": "default",
        "creatable": True,
        "editable": True,
        "deletable": True,
        "viewable": True,
        "status": "visible",
        "visibility": 1,
    }


async def list_modules(request: web.Request) -> web.Response:
    return web.json_response(
        {"modules": [describe_module(module) for module in MODULES.values()]}
    )


async def get_module(request: web.Request) -> web.Response:
    module = find_module(request.match_info["module"])
    if module is None:
        raise invalid_module(request.match_info["module"])
    return web.json_response({"modules": [describe_module(module)]})


async def list_fields(request: web.Request) -> web.Response:
    name = request.query.get("module")
    if not name:
        raise required_param("module")
    if name in LINE_ITEM_MODULES:
        parent = MODULES[LINE_ITEM_MODULES[name]]
        row_id = f"{parent.module_id[:-2]}99"
        described = [
            describe_field(field, row_id, index)
            for index, field in enumerate(LINE_ITEM_FIELDS)
        ]
        return web.json_response({"fields": described})
    module = find_module(name)
    if module is None:
        raise invalid_module(name)
    described = [
        describe_field(field, module.module_id, index)
        for index, field in enumerate(module.fields)
    ]
    return web.json_response({"fields": described})
