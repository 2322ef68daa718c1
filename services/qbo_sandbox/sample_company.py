"""The `intuit-sample` seed: a company filled as Intuit fills a new sandbox,
with the sample's names and ids (data in sample_data.py), so code written
against Intuit's sandbox finds "Amy's Bird Sanctuary" at customer 1."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.qbo_sandbox import sample_data as data
from services.qbo_sandbox.clock import meta_time
from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.defaults import CLASSIFICATION, install_lists
from services.qbo_sandbox.meta import USD

CUSTOMER_MEMO = {"value": "Thank you for your business and have a great day!"}
# (item Id, Description, Qty, UnitPrice, TaxCodeRef) per sales line.
Line = tuple[str, str, float, float, str]


def install_sample(company: Company, now: datetime) -> None:
    install_lists(company, now)
    stamp = meta_time(now, company.tz)
    accounts = {a[0]: a for a in data.ACCOUNTS}
    for account in data.ACCOUNTS:
        put(company, "Account", account_record(account, accounts), stamp)
    for item in data.ITEMS:
        put(company, "Item", item_record(item, accounts), stamp)
    names = {c[0]: c[1] for c in data.CUSTOMERS}
    for customer in data.CUSTOMERS:
        put(company, "Customer", customer_record(customer, names), stamp)
    for vendor_id, name in data.VENDORS:
        put(company, "Vendor", vendor_record(vendor_id, name), stamp)
    for entity, record in sample_transactions(company):
        put(company, entity, record, stamp)
    for sequence, next_id in data.NEXT_IDS.items():
        company.counters[sequence] = next_id - 1
    # New invoices continue the sample's numbering, as QBO does.
    company.counters["doc:Invoice"] = 1037
    company.counters["doc:Estimate"] = 1001


def put(company: Company, entity: str, record: Record, stamp: str) -> None:
    # Sample records date from the company's creation, as in a new sandbox.
    record.update(
        SyncToken="0",
        domain="QBO",
        sparse=False,
        MetaData={"CreateTime": stamp, "LastUpdatedTime": stamp},
    )
    company.put(entity, record)


def full_name(account_id: str, accounts: dict[str, Any]) -> str:
    _, name, _, _, parent = accounts[account_id]
    return name if parent is None else f"{full_name(parent, accounts)}:{name}"


def account_ref(account_id: str, accounts: dict[str, Any]) -> Record:
    return {"value": account_id, "name": full_name(account_id, accounts)}


def account_record(account: Any, accounts: dict[str, Any]) -> Record:
    account_id, name, account_type, sub_type, parent = account
    record: Record = {
        "Id": account_id,
        "Name": name,
        "SubAccount": parent is not None,
        "FullyQualifiedName": full_name(account_id, accounts),
        "Active": True,
        "Classification": CLASSIFICATION[account_type],
        "AccountType": account_type,
        "AccountSubType": sub_type,
        "CurrentBalance": 0,
        "CurrentBalanceWithSubAccounts": 0,
        "CurrencyRef": dict(USD),
    }
    if parent is not None:
        record["ParentRef"] = {"value": parent}
    return record


def item_record(item: Any, accounts: dict[str, Any]) -> Record:
    item_id, name, item_type, description, price, income, quantity = item
    record: Record = {
        "Id": item_id,
        "Name": name,
        "FullyQualifiedName": name,
        "Active": True,
        "Type": item_type,
        "Taxable": item_id in data.TAXABLE_ITEMS,
        "UnitPrice": price,
        "PurchaseCost": data.PURCHASE_COST.get(item_id, 0),
        "TrackQtyOnHand": quantity is not None,
        "IncomeAccountRef": account_ref(income, accounts),
    }
    if description is not None:
        record["Description"] = description
    if quantity is not None:
        record.update(
            QtyOnHand=quantity,
            InvStartDate=data.INV_START_DATE,
            PurchaseDesc=description,
            ExpenseAccountRef=account_ref("80", accounts),
            AssetAccountRef=account_ref("81", accounts),
        )
    return record


def customer_record(customer: Any, names: dict[str, str]) -> Record:
    customer_id, display, company_name, email, parent = customer
    record: Record = {
        "Id": customer_id,
        "DisplayName": display,
        "FullyQualifiedName": display,
        "PrintOnCheckName": company_name or display,
        "Active": True,
        "Taxable": False,
        "Job": parent is not None,
        "BillWithParent": False,
        "PreferredDeliveryMethod": "Print",
        "Balance": 0,
        "BalanceWithJobs": 0,
        "CurrencyRef": dict(USD),
    }
    if company_name is None and len(display.split()) == 2:
        record["GivenName"], record["FamilyName"] = display.split()
    if company_name is not None:
        record["CompanyName"] = company_name
    if email is not None:
        record["PrimaryEmailAddr"] = {"Address": email}
    if parent is not None:
        # Jobs as the sample has them; the sandbox does not model hierarchies
        # beyond storing them (see README).
        record["ParentRef"] = {"value": parent}
        record["Level"] = 1
        record["FullyQualifiedName"] = f"{names[parent]}:{display}"
    record.update(data.CUSTOMER_DETAILS.get(customer_id, {}))
    record["BalanceWithJobs"] = record["Balance"]
    return record


def vendor_record(vendor_id: str, name: str) -> Record:
    record: Record = {
        "Id": vendor_id,
        "DisplayName": name,
        "FullyQualifiedName": name,
        "PrintOnCheckName": name,
        "CompanyName": name,
        "Active": True,
        "Vendor1099": False,
        "Balance": 0,
        "CurrencyRef": dict(USD),
    }
    record.update(data.VENDOR_DETAILS.get(vendor_id, {}))
    return record


def sample_transactions(company: Company) -> list[tuple[str, Record]]:
    """Invoices 9, 67, 71 and 130 and Estimate 177, as Intuit's samples show
    them (payments, projects and custom fields left out)."""
    amy = company.get("Customer", "1") or {}
    amy_invoice = {
        "CustomerRef": {"value": "1", "name": "Amy's Bird Sanctuary"},
        "BillEmail": dict(amy["PrimaryEmailAddr"]),
        "BillAddr": {
            "Line1": "Amy Lauterbach",
            "Line2": "Amy's Bird Sanctuary",
            "Line3": "4581 Finch St.",
            "Line4": "Bayshore, CA  94326",
            "Lat": "INVALID",
            "Long": "INVALID",
        },
        "ShipAddr": dict(amy["ShipAddr"]),
    }
    return [
        ("Invoice", sales_form(company, "9", "1001", "2020-03-06", "2020-04-05",
            [("6", "Weekly Gardening Service", 4, 25, "TAX")], 8.0, amy_invoice,
            Balance=0, PrivateNote="Front yard, hedges, and sidewalks",
            PrintStatus="NotSet", BillAddrId="47")),
        ("Invoice", sales_form(company, "67", "1021", "2020-02-16", "2020-03-17",
            [("15", "2 cubic ft. bag", 15, 10, "TAX"),
             ("5", "Rock Fountain", 1, 275, "TAX")], 34.0, amy_invoice,
            Balance=239.0, PrintStatus="NotSet", BillAddrId="74")),
        ("Invoice", sales_form(company, "71", "1025", "2020-01-21", "2020-02-20",
            [("6", "Weekly Gardening Service", 4, 30, "NON"),
             ("10", "Pest Control Services", 1, 35, "NON"),
             ("9", "Maintenance & Repair", 1, 50, "NON")], 0.0, amy_invoice,
            Balance=0, BillAddrId="78")),
        ("Invoice", sales_form(company, "130", "1037", "2014-09-19", "2014-10-19",
            [("5", "Rock Fountain", 1, 275, "TAX"),
             ("11", "Fountain Pump", 1, 12.75, "TAX"),
             ("3", "Concrete for fountain installation", 5, 9.5, "TAX")], 26.82,
            sonnenschein_invoice(company), BillAddrId="95")),
        ("Estimate", cool_cars_estimate(company)),
    ]  # fmt: skip


def sonnenschein_invoice(company: Company) -> Record:
    customer = company.get("Customer", "24") or {}
    return {
        "CustomerRef": {"value": "24", "name": "Sonnenschein Family Store"},
        "BillEmail": dict(customer["PrimaryEmailAddr"]),
        "BillAddr": {
            "Line1": "Russ Sonnenschein",
            "Line2": "Sonnenschein Family Store",
            "Line3": "5647 Cypress Hill Ave.",
            "Line4": "Middlefield, CA  94303",
            "Lat": "37.4238562",
            "Long": "-122.1141681",
        },
        "ShipAddr": dict(customer["BillAddr"]),
    }


def sales_form(
    company: Company,
    txn_id: str,
    doc: str,
    txn_date: str,
    due_date: str,
    lines: list[Line],
    tax: float,
    party: Record,
    **extra: Any,
) -> Record:
    items = company.table("Item")
    built: list[Record] = []
    for number, (item_id, description, qty, price, code) in enumerate(lines, 1):
        item = items[item_id]
        built.append({
            "Id": str(number),
            "LineNum": number,
            "Description": description,
            "Amount": round(qty * price, 2),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {
                "ItemRef": {"value": item_id, "name": item["Name"]},
                "UnitPrice": price,
                "Qty": qty,
                "ItemAccountRef": dict(item["IncomeAccountRef"]),
                "TaxCodeRef": {"value": code},
            },
        })  # fmt: skip
    net = round(sum(line["Amount"] for line in built), 2)
    built.append(
        {"DetailType": "SubTotalLineDetail", "Amount": net, "SubTotalLineDetail": {}}
    )
    total = round(net + tax, 2)
    record: Record = {
        "Id": txn_id,
        "DocNumber": doc,
        "TxnDate": txn_date,
        "DueDate": due_date,
        "SalesTermRef": {"value": "3", "name": "Net 30"},
        "Line": built,
        "TxnTaxDetail": tax_detail(tax, net),
        "CustomerMemo": dict(CUSTOMER_MEMO),
        "TotalAmt": total,
        "Balance": extra.pop("Balance", total),
        "Deposit": 0,
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": extra.pop("PrintStatus", "NeedToPrint"),
        "EmailStatus": "NotSet",
        "LinkedTxn": [],
        **{k: (dict(v) if isinstance(v, dict) else v) for k, v in party.items()},
    }
    record["BillAddr"]["Id"] = extra.pop("BillAddrId")
    record.update(extra)
    return record


def tax_detail(tax: float, taxable: float) -> Record:
    if not tax:
        return {"TotalTax": 0}
    # The sample's 8% California rate (TaxRate 3 in tax code 2).
    return {
        "TxnTaxCodeRef": {"value": "2"},
        "TotalTax": tax,
        "TaxLine": [
            {
                "Amount": tax,
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": "3"},
                    "PercentBased": True,
                    "TaxPercent": 8,
                    "NetAmountTaxable": taxable,
                },
            }
        ],
    }


def cool_cars_estimate(company: Company) -> Record:
    address = {
        "Line1": "65 Ocean Dr.",
        "City": "Half Moon Bay",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94213",
    }
    record = sales_form(
        company,
        "177",
        "1001",
        "2015-03-26",
        "2015-03-26",
        [("10", "Pest Control Services", 1, 35, "NON")],
        0.0,
        {
            "CustomerRef": {"value": "3", "name": "Cool Cars"},
            "BillEmail": {"Address": "Cool_Cars@intuit.com"},
            "BillAddr": address,
            "ShipAddr": dict(address, Id="104"),
        },
        BillAddrId="103",
        TxnStatus="Pending",
    )
    for key in ("Balance", "Deposit", "DueDate", "SalesTermRef"):
        record.pop(key)
    del record["Line"][0]["SalesItemLineDetail"]["ItemAccountRef"]  # as sampled
    record["Line"].append(
        {
            "DetailType": "DiscountLineDetail",
            "Amount": 3.5,
            "DiscountLineDetail": {
                "DiscountAccountRef": {"value": "86", "name": "Discounts given"},
                "PercentBased": True,
                "DiscountPercent": 10,
            },
        }
    )
    record["TotalAmt"] = 31.5
    return record
