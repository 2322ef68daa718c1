"""The modules and fields this sandbox org has: Zoho's standard ones plus the
marker custom fields a user of the QuickBooks integration adds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    api_name: str
    data_type: str
    label: str
    mandatory: bool = False
    lookup: str | None = None
    read_only: bool = False
    custom: bool = False
    unique: bool = False
    length: int = 255
    picklist: tuple[str, ...] = ()

    @property
    def is_line_items(self) -> bool:
        return self.data_type == "subform"


@dataclass(frozen=True)
class Module:
    api_name: str
    singular: str
    module_id: str
    fields: tuple[Field, ...]
    # Field upsert falls back to when the request names no duplicate_check_fields.
    default_duplicate_field: str
    display_field: str
    line_items: str | None = None

    def field(self, api_name: str) -> Field | None:
        return FIELD_INDEX[self.api_name].get(api_name)


def _f(api: str, kind: str = "text", **options: object) -> Field:
    label = api.replace("_", " ")
    return Field(api_name=api, data_type=kind, label=label, **options)  # type: ignore[arg-type]


def _system_fields() -> tuple[Field, ...]:
    return (
        _f("Owner", "ownerlookup"),
        _f("Created_By", "ownerlookup", read_only=True),
        _f("Modified_By", "ownerlookup", read_only=True),
        _f("Created_Time", "datetime", read_only=True),
        _f("Modified_Time", "datetime", read_only=True),
        _f("Tag", "text", read_only=True),
        _f("Record_Status__s", "picklist", read_only=True),
        _f("Locked__s", "boolean", read_only=True),
    )


def _address(prefix: str, code: str = "Code") -> tuple[Field, ...]:
    return tuple(
        _f(f"{prefix}_{part}") for part in ("Street", "City", "State", code, "Country")
    )


def _money_fields() -> tuple[Field, ...]:
    return (
        _f("Sub_Total", "currency", read_only=True),
        _f("Discount", "currency"),
        _f("Tax", "currency", read_only=True),
        _f("Adjustment", "currency"),
        _f("Grand_Total", "currency", read_only=True),
        _f("$line_tax", "linetax"),
        _f("Terms_and_Conditions", "textarea", length=32000),
        _f("Description", "textarea", length=32000),
        _f("Currency", "picklist"),
        _f("Exchange_Rate", "double"),
    )


CONTACTS = Module(
    "Contacts",
    "Contact",
    "10000000000000000003",
    (
        _f("First_Name", length=40),
        _f("Last_Name", mandatory=True, length=80),
        _f("Full_Name", read_only=True),
        _f("Salutation", "picklist"),
        _f("Email", "email", length=100),
        _f("Secondary_Email", "email", length=100),
        _f("Phone", "phone", length=30),
        _f("Mobile", "phone", length=30),
        _f("Fax", "phone", length=30),
        _f("Title", length=100),
        _f("Department"),
        _f("Account_Name", "lookup", lookup="Accounts"),
        _f("Vendor_Name", "lookup", lookup="Vendors"),
        _f("Lead_Source", "picklist"),
        _f("Email_Opt_Out", "boolean"),
        _f("Description", "textarea", length=32000),
        *_address("Mailing", "Zip"),
        *_address("Other", "Zip"),
        _f("QuickBooks_Customer_Id", custom=True, unique=True, length=50),
        *_system_fields(),
    ),
    default_duplicate_field="Email",
    display_field="Full_Name",
)

ACCOUNTS = Module(
    "Accounts",
    "Account",
    "10000000000000000005",
    (
        _f("Account_Name", mandatory=True, length=200),
        _f("Account_Number", length=40),
        _f("Account_Site", length=80),
        _f("Account_Type", "picklist"),
        _f("Industry", "picklist"),
        _f("Parent_Account", "lookup", lookup="Accounts"),
        _f("Phone", "phone", length=30),
        _f("Fax", "phone", length=30),
        _f("Website", "website"),
        _f("Employees", "integer"),
        _f("Annual_Revenue", "currency"),
        _f("Description", "textarea", length=32000),
        *_address("Billing"),
        *_address("Shipping"),
        *_system_fields(),
    ),
    default_duplicate_field="Account_Name",
    display_field="Account_Name",
)

VENDORS = Module(
    "Vendors",
    "Vendor",
    "10000000000000000009",
    (
        _f("Vendor_Name", mandatory=True, length=120),
        _f("Email", "email", length=100),
        _f("Phone", "phone", length=30),
        _f("Website", "website"),
        _f("GL_Account", "picklist"),
        _f("Category"),
        _f("Street"),
        _f("City"),
        _f("State"),
        _f("Zip_Code"),
        _f("Country"),
        _f("Description", "textarea", length=32000),
        *_system_fields(),
    ),
    default_duplicate_field="Vendor_Name",
    display_field="Vendor_Name",
)

PRODUCTS = Module(
    "Products",
    "Product",
    "10000000000000000007",
    (
        _f("Product_Name", mandatory=True, length=120),
        _f("Product_Code", length=40),
        _f("Product_Active", "boolean"),
        _f("Product_Category", "picklist"),
        _f("Manufacturer", "picklist"),
        _f("Vendor_Name", "lookup", lookup="Vendors"),
        _f("Unit_Price", "currency"),
        _f("Commission_Rate", "currency"),
        _f("Taxable", "boolean"),
        _f("Usage_Unit", "picklist"),
        _f("Qty_in_Stock", "double"),
        _f("Qty_Ordered", "double"),
        _f("Description", "textarea", length=32000),
        _f("QuickBooks_Item_Id", custom=True, unique=True, length=50),
        _f("Fetch_Product_Details", "boolean", custom=True),
        *_system_fields(),
    ),
    default_duplicate_field="Product_Name",
    display_field="Product_Name",
)

INVOICE_STATUSES = ("Created", "Approved", "Delivered", "Paid", "Cancelled")
QUOTE_STAGES = ("Draft", "Negotiation", "Delivered", "On Hold", "Confirmed")

INVOICES = Module(
    "Invoices",
    "Invoice",
    "10000000000000000015",
    (
        _f("Subject", mandatory=True),
        _f("Invoiced_Items", "subform", mandatory=True),
        _f("Invoice_Number", "autonumber", read_only=True),
        _f("Invoice_Date", "date"),
        _f("Due_Date", "date"),
        _f("Status", "picklist", picklist=INVOICE_STATUSES),
        _f("Purchase_Order", length=100),
        _f("Contact_Name", "lookup", lookup="Contacts"),
        _f("Account_Name", "lookup", lookup="Accounts"),
        _f("Quote_Name", "lookup", lookup="Quotes"),
        *_money_fields(),
        *_address("Billing"),
        *_address("Shipping"),
        _f("QuickBooks_Invoice_Id", custom=True, unique=True, length=50),
        _f("QBSYNC", "boolean", custom=True),
        *_system_fields(),
    ),
    default_duplicate_field="Subject",
    display_field="Subject",
    line_items="Invoiced_Items",
)

QUOTES = Module(
    "Quotes",
    "Quote",
    "10000000000000000013",
    (
        _f("Subject", mandatory=True),
        _f("Quoted_Items", "subform", mandatory=True),
        _f("Quote_Number", "autonumber", read_only=True),
        _f("Quote_Stage", "picklist", picklist=QUOTE_STAGES),
        _f("Valid_Till", "date"),
        _f("Contact_Name", "lookup", lookup="Contacts"),
        _f("Account_Name", "lookup", lookup="Accounts"),
        *_money_fields(),
        *_address("Billing"),
        *_address("Shipping"),
        _f("QuickBooks_Estimate_Id", custom=True, unique=True, length=50),
        _f("QBSYNC", "boolean", custom=True),
        *_system_fields(),
    ),
    default_duplicate_field="Subject",
    display_field="Subject",
    line_items="Quoted_Items",
)

LEADS = Module(
    "Leads",
    "Lead",
    "10000000000000000002",
    (
        _f("First_Name", length=40),
        _f("Last_Name", mandatory=True, length=80),
        _f("Full_Name", read_only=True),
        _f("Company", length=200),
        _f("Email", "email", length=100),
        _f("Phone", "phone", length=30),
        _f("Lead_Status", "picklist"),
        _f("Lead_Source", "picklist"),
        _f("Converted__s", "boolean", read_only=True),
        _f("Converted_Date_Time", "datetime", read_only=True),
        _f("Converted_Contact", "lookup", lookup="Contacts", read_only=True),
        _f("Converted_Account", "lookup", lookup="Accounts", read_only=True),
        *_system_fields(),
    ),
    default_duplicate_field="Email",
    display_field="Full_Name",
)

# The fields of one line-item row (Invoiced_Items / Quoted_Items, v4+).
LINE_ITEM_FIELDS: tuple[Field, ...] = (
    _f("Product_Name", "lookup", lookup="Products", mandatory=True),
    _f("Quantity", "double", mandatory=True),
    _f("List_Price", "currency"),
    _f("Discount", "currency"),
    _f("Description", "textarea", length=2000),
    _f("Line_Tax", "linetax"),
    _f("Total", "currency", read_only=True),
    _f("Total_After_Discount", "currency", read_only=True),
    _f("Tax", "currency", read_only=True),
    _f("Net_Total", "currency", read_only=True),
)

MODULES: dict[str, Module] = {
    module.api_name: module
    for module in (CONTACTS, ACCOUNTS, PRODUCTS, INVOICES, QUOTES, VENDORS, LEADS)
}
FIELD_INDEX: dict[str, dict[str, Field]] = {
    name: {field.api_name: field for field in module.fields}
    for name, module in MODULES.items()
}


def find_module(name: str) -> Module | None:
    """Zoho matches module API names case-insensitively in URLs."""
    for api_name, module in MODULES.items():
        if api_name.lower() == name.lower():
            return module
    return None
