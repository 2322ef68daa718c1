"""What a new QBO company (US edition) starts with: its chart of accounts,
tax codes, terms, the two default items, CompanyInfo and Preferences."""

from __future__ import annotations

from datetime import datetime

from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.meta import USD, stamp_new

CLASSIFICATION = {
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Cost of Goods Sold": "Expense",
    "Expense": "Expense",
    "Other Expense": "Expense",
}

DEFAULT_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("Services", "Income", "ServiceFeeIncome"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Billable Expense Income", "Income", "OtherPrimaryIncome"),
    ("Uncategorized Income", "Income", "ServiceFeeIncome"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Uncategorized Asset", "Other Current Asset", "OtherCurrentAssets"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Retained Earnings", "Equity", "RetainedEarnings"),
    ("Advertising", "Expense", "AdvertisingPromotional"),
    ("Bank Charges", "Expense", "BankCharges"),
    ("Insurance", "Expense", "Insurance"),
    ("Legal & Professional Fees", "Expense", "LegalProfessionalFees"),
    ("Meals and Entertainment", "Expense", "EntertainmentMeals"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("Rent or Lease", "Expense", "RentOrLeaseOfBuildings"),
    ("Repair & Maintenance", "Expense", "RepairMaintenance"),
    ("Travel", "Expense", "Travel"),
    ("Utilities", "Expense", "Utilities"),
    ("Uncategorized Expense", "Expense", "OtherMiscellaneousServiceCost"),
)

TERMS = (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60))


def account_record(name: str, account_type: str, sub_type: str) -> Record:
    return {
        "Name": name,
        "SubAccount": False,
        "FullyQualifiedName": name,
        "Active": True,
        "Classification": CLASSIFICATION[account_type],
        "AccountType": account_type,
        "AccountSubType": sub_type,
        "CurrentBalance": 0,
        "CurrentBalanceWithSubAccounts": 0,
        "CurrencyRef": dict(USD),
    }


def account_id(company: Company, name: str) -> str:
    for record in company.table("Account").values():
        if record["Name"] == name:
            return str(record["Id"])
    raise KeyError(name)


def install_defaults(company: Company, now: datetime) -> None:
    for name, account_type, sub_type in DEFAULT_ACCOUNTS:
        record = account_record(name, account_type, sub_type)
        company.put("Account", stamp_new(company, "Account", record, now))
    install_lists(company, now)
    install_default_items(company, now)


def install_lists(company: Company, now: datetime) -> None:
    """Tax codes, terms, CompanyInfo and Preferences: every company has them."""
    for code, taxable in (("TAX", True), ("NON", False)):
        record = {
            "Name": code,
            "Description": code,
            "Active": True,
            "Taxable": taxable,
            "TaxGroup": False,
        }
        stamp_new(company, "TaxCode", record, now)
        record["Id"] = code
        company.put("TaxCode", record)
    for name, days in TERMS:
        record = {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days}
        company.put("Term", stamp_new(company, "Term", record, now))
    company.put("CompanyInfo", company_info(company, now))
    company.put("Preferences", preferences(company, now))


def install_default_items(company: Company, now: datetime) -> None:
    services = account_id(company, "Services")
    for name in ("Services", "Hours"):
        record = {
            "Name": name,
            "FullyQualifiedName": name,
            "Active": True,
            "Type": "Service",
            "Taxable": False,
            "UnitPrice": 0,
            "PurchaseCost": 0,
            "TrackQtyOnHand": False,
            "IncomeAccountRef": {"value": services, "name": "Services"},
        }
        company.put("Item", stamp_new(company, "Item", record, now))


def company_info(company: Company, now: datetime) -> Record:
    address = {
        "Id": "1",
        "Line1": "2600 Marine Way",
        "City": "Mountain View",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94043",
    }
    record: Record = {
        "CompanyName": company.name,
        "LegalName": company.name,
        "CompanyAddr": dict(address),
        "CustomerCommunicationAddr": dict(address),
        "LegalAddr": dict(address),
        "PrimaryPhone": {"FreeFormNumber": "(650) 944-6000"},
        "CompanyStartDate": now.astimezone(company.tz).date().isoformat(),
        "FiscalYearStartMonth": "January",
        "Country": "US",
        "Email": {"Address": "noreply@quickbooks.com"},
        "WebAddr": {},
        "SupportedLanguages": "en",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Other"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
        ],
    }
    stamp_new(company, "CompanyInfo", record, now)
    record["Id"] = "1"
    return record


def preferences(company: Company, now: datetime) -> Record:
    record: Record = {
        "AccountingInfoPrefs": {
            "TrackDepartments": False,
            "ClassTrackingPerTxn": False,
            "CustomerTerminology": "Customers",
        },
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True,
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": False,
            "AllowDeposit": True,
            "AllowDiscount": True,
            "AllowEstimates": True,
            "EstimateMessage": "Please review the estimate below.",
            "DefaultTerms": {"value": "3"},
        },
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": True},
        "TaxPrefs": {"UsingSalesTax": False},
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": False,
            "HomeCurrency": {"value": "USD"},
        },
        "OtherPrefs": {
            "NameValue": [
                {
                    "Name": "SalesFormsPrefs.DefaultCustomerMessage",
                    "Value": "Thank you for your business.",
                }
            ]
        },
    }
    stamp_new(company, "Preferences", record, now)
    record["Id"] = "1"
    return record
