"""Metadata: modules and fields, marker fields included."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.sandbox

MARKERS = {
    "Contacts": {"QuickBooks_Customer_Id": "text"},
    "Products": {"QuickBooks_Item_Id": "text", "Fetch_Product_Details": "boolean"},
    "Invoices": {"QuickBooks_Invoice_Id": "text", "QBSYNC": "boolean"},
    "Quotes": {"QuickBooks_Estimate_Id": "text", "QBSYNC": "boolean"},
}


async def test_modules_are_listed(zoho):
    await zoho.reset()
    reply = await zoho.call("GET", "/crm/v8/settings/modules")
    names = {m["api_name"] for m in reply.body["modules"]}
    assert {
        "Contacts",
        "Accounts",
        "Products",
        "Invoices",
        "Quotes",
        "Vendors",
    } <= names
    assert all(m["api_supported"] for m in reply.body["modules"])


@pytest.mark.parametrize("module", sorted(MARKERS))
async def test_fields_describe_markers(zoho, module):
    await zoho.reset()
    reply = await zoho.call("GET", f"/crm/v8/settings/fields?module={module}")
    fields = {f["api_name"]: f for f in reply.body["fields"]}
    for name, data_type in MARKERS[module].items():
        assert fields[name]["data_type"] == data_type
        assert fields[name]["custom_field"] is True


async def test_fields_describe_mandatory_lookups_and_line_items(zoho):
    await zoho.reset()
    reply = await zoho.call("GET", "/crm/v8/settings/fields?module=Invoices")
    fields = {f["api_name"]: f for f in reply.body["fields"]}
    assert fields["Subject"]["system_mandatory"] is True
    assert fields["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"
    items = fields["Invoiced_Items"]
    assert (items["data_type"], items["json_type"]) == ("subform", "jsonarray")
    rows = await zoho.call("GET", "/crm/v8/settings/fields?module=Invoiced_Items")
    row_fields = {f["api_name"]: f for f in rows.body["fields"]}
    assert row_fields["Product_Name"]["lookup"]["module"]["api_name"] == "Products"
    assert "List_Price" in row_fields


async def test_fields_needs_a_known_module(zoho):
    await zoho.reset()
    missing = await zoho.call("GET", "/crm/v8/settings/fields")
    assert missing.body["code"] == "REQUIRED_PARAM_MISSING"
    unknown = await zoho.call("GET", "/crm/v8/settings/fields?module=Nope")
    assert unknown.body["code"] == "INVALID_MODULE"
