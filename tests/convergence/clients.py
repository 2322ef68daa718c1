"""How a person's client writes each side: canonical field names in, the
API's own bodies out (Zoho CRM v8 and QBO v3), over HTTP."""

from __future__ import annotations

from typing import Any

from tests.e2e.system import Qbo, Zoho

ZOHO_MODULE = {
    "contact": "Contacts",
    "account": "Accounts",
    "product": "Products",
    "vendor": "Vendors",
    "invoice": "Invoices",
    "quote": "Quotes",
}
QBO_ENTITY = {
    "customer": "Customer",
    "item": "Item",
    "vendor": "Vendor",
    "invoice": "Invoice",
    "estimate": "Estimate",
}
ZOHO_FIELD = {
    ("contact", "first_name"): "First_Name",
    ("contact", "last_name"): "Last_Name",
    ("contact", "email"): "Email",
    ("contact", "phone"): "Phone",
    ("contact", "mobile"): "Mobile",
    ("account", "name"): "Account_Name",
    ("account", "phone"): "Phone",
    ("product", "name"): "Product_Name",
    ("product", "description"): "Description",
    ("product", "unit_price"): "Unit_Price",
    ("product", "sku"): "Product_Code",
    ("vendor", "name"): "Vendor_Name",
    ("vendor", "email"): "Email",
    ("vendor", "phone"): "Phone",
    ("vendor", "website"): "Website",
}
ZOHO_DOCUMENT = {
    "invoice": {"lines": "Invoiced_Items", "due_date": "Due_Date"},
    "quote": {"lines": "Quoted_Items", "due_date": "Valid_Till"},
}
QBO_FIELD: dict[str, tuple[str, ...]] = {
    "first_name": ("GivenName",),
    "last_name": ("FamilyName",),
    "email": ("PrimaryEmailAddr", "Address"),
    "phone": ("PrimaryPhone", "FreeFormNumber"),
    "mobile": ("Mobile", "FreeFormNumber"),
    "company_name": ("CompanyName",),
    "description": ("Description",),
    "unit_price": ("UnitPrice",),
    "sku": ("Sku",),
    "notes": ("PrivateNote",),
}
QBO_NAME = {"item": "Name", "vendor": "DisplayName"}
QBO_DUE = {"invoice": "DueDate", "estimate": "ExpirationDate"}


class Refused(Exception):
    """The API said no, as it would to a person (not a sync defect)."""


def zoho_body(
    entity: str, values: dict[str, Any], ids: dict[str, str]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, value in values.items():
        if name == "account":
            body["Account_Name"] = {"id": ids[value]} if value else None
        elif name == "billing_address":
            address = value or {}
            body["Billing_Street"] = address.get("line1")
            body["Billing_City"] = address.get("city")
            body["Billing_Code"] = address.get("postal_code")
        elif name == "party":
            body["Contact_Name"] = {"id": ids[value]}
        elif name == "lines":
            body[ZOHO_DOCUMENT[entity]["lines"]] = [
                {
                    "Product_Name": {"id": ids[slot]},
                    "Quantity": quantity,
                    "List_Price": float(price),
                    "Discount": 0,
                }
                for slot, quantity, price in value
            ]
        elif name == "due_date":
            body[ZOHO_DOCUMENT[entity]["due_date"]] = value
        elif name == "notes":
            body["Description"] = value
        elif name == "unit_price":
            body["Unit_Price"] = None if value is None else float(value)
        else:
            body[ZOHO_FIELD[entity, name]] = value
    return body


def qbo_body(
    entity: str, values: dict[str, Any], ids: dict[str, str]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, value in values.items():
        if name == "name":
            body[QBO_NAME[entity]] = value
        elif name == "billing_address":
            body["BillAddr"] = value and {
                "Line1": value["line1"],
                "City": value["city"],
                "PostalCode": value["postal_code"],
            }
        elif name == "party":
            body["CustomerRef"] = {"value": ids[value]}
        elif name == "lines":
            body["Line"] = [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": round(quantity * float(price), 2),
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": ids[slot]},
                        "Qty": quantity,
                        "UnitPrice": float(price),
                    },
                }
                for slot, quantity, price in value
            ]
        elif name == "due_date":
            body[QBO_DUE[entity]] = value
        else:
            path = QBO_FIELD[name]
            if name == "unit_price" and value is not None:
                value = float(value)
            if value is None:
                body[path[0]] = None  # a sparse update with null clears it
            elif len(path) == 1:
                body[path[0]] = value
            else:
                body[path[0]] = {path[1]: value}
    return body


def qbo_create_body(
    entity: str, values: dict[str, Any], ids: dict[str, str]
) -> dict[str, Any]:
    body = qbo_body(entity, values, ids)
    if entity == "customer":
        parts = (values.get("first_name"), values.get("last_name"))
        body["DisplayName"] = " ".join(p for p in parts if p)
    if entity == "item":
        body |= {"Type": "Service", "IncomeAccountRef": {"value": "1"}}
    return body


async def zoho_create(
    zoho: Zoho, entity: str, values: dict[str, Any], ids: dict[str, str]
) -> str:
    record = zoho_body(entity, values, ids)
    if entity in ZOHO_DOCUMENT:
        record["Subject"] = f"Order for {values['party']}"
    status, body = await zoho.call(
        "POST", f"/{ZOHO_MODULE[entity]}", json={"data": [record]}
    )
    if status != 201:
        raise Refused(f"Zoho {status}: {body}")
    return str(body["data"][0]["details"]["id"])


async def zoho_update(
    zoho: Zoho, entity: str, record_id: str, values: dict[str, Any], ids: dict[str, str]
) -> None:
    record = {"id": record_id, **zoho_body(entity, values, ids)}
    status, body = await zoho.call(
        "PUT", f"/{ZOHO_MODULE[entity]}", json={"data": [record]}
    )
    if status != 200:
        raise Refused(f"Zoho {status}: {body}")


async def zoho_delete(zoho: Zoho, entity: str, record_id: str) -> None:
    status, body = await zoho.call("DELETE", f"/{ZOHO_MODULE[entity]}/{record_id}")
    if status != 200:
        raise Refused(f"Zoho {status}: {body}")


async def qbo_create(
    qbo: Qbo, entity: str, values: dict[str, Any], ids: dict[str, str]
) -> str:
    name = QBO_ENTITY[entity]
    status, body = await qbo.call(
        "POST", name.lower(), json=qbo_create_body(entity, values, ids)
    )
    if status != 200:
        raise Refused(f"QBO {status}: {body}")
    return str(body[name]["Id"])


async def qbo_sparse_update(
    qbo: Qbo, entity: str, record_id: str, changes: dict[str, Any], operation: str = ""
) -> None:
    """Read the SyncToken and write, as a client does; a stale token (the
    sync wrote meanwhile) is read again, as a person would retry."""
    name = QBO_ENTITY[entity]
    path = name.lower() + (f"?operation={operation}" if operation else "")
    for _ in range(4):
        status, body = await qbo.call("GET", f"{name.lower()}/{record_id}")
        if status != 200:
            raise Refused(f"QBO {status}: {body}")
        token = body[name]["SyncToken"]
        update = {"Id": record_id, "SyncToken": token}
        if not operation:
            update |= {"sparse": True, **changes}
        status, body = await qbo.call("POST", path, json=update)
        if status == 200:
            return
        if "5010" not in str(body):
            raise Refused(f"QBO {status}: {body}")
    raise Refused(f"QBO kept answering stale SyncToken for {name} {record_id}")
