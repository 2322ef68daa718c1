"""Facts about the sample company Intuit puts in every new US sandbox (a
landscaping business): names, ids, contact details and amounts as Intuit's
docs and public captures show them.
Sources are listed in the README ("intuit-sample" seed); where no sample
shows a value, the comment says the value is ours."""

from __future__ import annotations

from typing import Any

# Id, Name, AccountType, AccountSubType, parent Id (sub-accounts).
# Sub-types are ours where no sample shows them; 51 and 52 are inferred from
# "Landscaping Services:Labor:Maintenance and Repair" (53) and the Installation
# item posting to 52.
ACCOUNTS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("1", "Services", "Income", "ServiceFeeIncome", None),
    ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", None),
    ("7", "Advertising", "Expense", "AdvertisingPromotional", None),
    ("8", "Bank Charges", "Expense", "BankCharges", None),
    ("13", "Meals and Entertainment", "Expense", "EntertainmentMeals", None),
    ("17", "Rent or Lease", "Expense", "RentOrLeaseOfBuildings", None),
    ("33", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", None),
    ("35", "Checking", "Bank", "Checking", None),
    ("36", "Savings", "Bank", "Savings", None),
    ("37", "Billable Expense Income", "Income", "OtherPrimaryIncome", None),
    ("41", "Mastercard", "Credit Card", "CreditCard", None),
    ("44", "Notes Payable", "Long Term Liability", "NotesPayable", None),
    ("45", "Landscaping Services", "Income", "ServiceFeeIncome", None),
    ("46", "Job Materials", "Income", "SalesOfProductIncome", "45"),
    ("48", "Fountains and Garden Lighting", "Income", "SalesOfProductIncome", "46"),
    ("49", "Plants and Soil", "Income", "SalesOfProductIncome", "46"),
    ("51", "Labor", "Income", "ServiceFeeIncome", "45"),
    ("52", "Installation", "Income", "ServiceFeeIncome", "51"),
    ("53", "Maintenance and Repair", "Income", "ServiceFeeIncome", "51"),
    ("54", "Pest Control Services", "Income", "ServiceFeeIncome", None),
    ("75", "Automobile", "Expense", "Auto", None),
    ("79", "Sales of Product Income", "Income", "SalesOfProductIncome", None),
    ("80", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", None),
    ("81", "Inventory Asset", "Other Current Asset", "Inventory", None),
    ("82", "Design income", "Income", "ServiceFeeIncome", None),
    (
        "84",
        "Accounts Receivable (A/R)",
        "Accounts Receivable",
        "AccountsReceivable",
        None,
    ),
    ("86", "Discounts given", "Income", "DiscountsRefundsGiven", None),
    (
        "87",
        "Unapplied Cash Payment Income",
        "Income",
        "UnappliedCashPaymentIncome",
        None,
    ),
    ("93", "QuickBooks Payments Fees", "Expense", "BankCharges", None),
)

# Id, Name, Type, Description, UnitPrice, income account Id, QtyOnHand.
# Types other than Concrete (Service) and the four stocked items (Inventory)
# are ours. Item 12 "Refunds & Allowances" is left out: its income account
# (83) is not named in any sample.
ITEMS: tuple[tuple[str, str, str, str | None, float, str, int | None], ...] = (
    ("1", "Services", "Service", None, 0, "1", None),
    ("2", "Hours", "Service", None, 0, "1", None),
    ("3", "Concrete", "Service", "Concrete for fountain installation", 0, "48", None),
    ("4", "Design", "Service", "Custom Design", 75, "82", None),
    ("5", "Rock Fountain", "Inventory", "Rock Fountain", 275, "79", 2),
    ("6", "Gardening", "Service", "Weekly Gardening Service", 0, "45", None),
    (
        "7",
        "Installation",
        "Service",
        "Installation of landscape design",
        50,
        "52",
        None,
    ),
    ("8", "Lighting", "Service", "Garden Lighting", 0, "48", None),
    ("9", "Maintenance & Repair", "Service", "Maintenance & Repair", 0, "53", None),
    ("10", "Pest Control", "Service", "Pest Control Services", 35, "54", None),
    ("11", "Pump", "Inventory", "Fountain Pump", 15, "79", 25),
    ("13", "Rocks", "Service", "Garden Rocks", 0, "48", None),
    ("14", "Sod", "Service", "Sod", 0, "49", None),
    ("15", "Soil", "Service", "2 cubic ft. bag", 10, "49", None),
    ("16", "Sprinkler Heads", "Inventory", "Sprinkler Heads", 2, "79", 25),
    ("17", "Sprinkler Pipes", "Inventory", "Sprinkler Pipes", 4, "79", 31),
    ("18", "Trimming", "Service", "Tree and Shrub Trimming", 35, "45", None),
)
# Only Rock Fountain's cost and start date are in a sample; the other stocked
# items reuse its start date and cost nothing (ours).
PURCHASE_COST = {"5": 125}
INV_START_DATE = "2014-09-19"
TAXABLE_ITEMS = ("3", "5")

# Id, DisplayName, CompanyName (None: a person), email, parent Id (jobs).
CUSTOMERS: tuple[tuple[str, str, str | None, str | None, str | None], ...] = (
    ("1", "Amy's Bird Sanctuary", "Amy's Bird Sanctuary", "Birds@Intuit.com", None),
    ("2", "Bill's Windsurf Shop", "Bill's Windsurf Shop", "Surf@Intuit.com", None),
    ("3", "Cool Cars", "Cool Cars", "Cool_Cars@intuit.com", None),
    ("4", "Diego Rodriguez", None, "Diego@Rodriguez.com", None),
    (
        "5",
        "Dukes Basketball Camp",
        "Dukes Basketball Camp",
        "Dukes_bball@intuit.com",
        None,
    ),
    ("6", "Dylan Sollfrank", None, None, None),
    (
        "7",
        "Freeman Sporting Goods",
        "Freeman Sporting Goods",
        "Sporting_goods@intuit.com",
        None,
    ),
    (
        "8",
        "0969 Ocean View Road",
        "Freeman Sporting Goods",
        "Sporting_goods@intuit.com",
        "7",
    ),
    ("9", "55 Twin Lane", "Freeman Sporting Goods", "Sporting_goods@intuit.com", "7"),
    ("10", "Geeta Kalapatapu", None, "Geeta@Kalapatapu.com", None),
    (
        "11",
        "Gevelber Photography",
        "Gevelber Photography",
        "Photography@intuit.com",
        None,
    ),
    ("12", "Jeff's Jalopies", "Jeff's Jalopies", "Jalopies@intuit.com", None),
    ("13", "John Melton", None, "John@Melton.com", None),
    ("14", "Kate Whelan", None, "Kate@Whelan.com", None),
    ("15", "Pye's Cakes", "Pye's Cakes", "pyescakes@intuit.com", None),
    (
        "16",
        "Kookies by Kathy",
        "Kookies by Kathy",
        "qbwebsamplecompany@yahoo.com",
        None,
    ),
    ("17", "Mark Cho", None, "Mark@Cho.com", None),
    (
        "18",
        "Paulsen Medical Supplies",
        "Paulsen Medical Supplies",
        "Medical@intuit.com",
        None,
    ),
    ("19", "Rago Travel Agency", "Rago Travel Agency", "Rago_Travel@intuit.com", None),
    ("20", "Red Rock Diner", "Red Rock Diner", "qbwebsamplecompany@yahoo.com", None),
    ("21", "Rondonuwu Fruit and Vegi", None, "Tony@Rondonuwu.com", None),
    ("22", "Shara Barnett", None, "Shara@Barnett.com", None),
    ("23", "Barnett Design", "Barnett Design", "Design@intuit.com", "22"),
    (
        "24",
        "Sonnenschein Family Store",
        "Sonnenschein Family Store",
        "Familiystore@intuit.com",
        None,
    ),
    ("25", "Sushi by Katsuyuki", "Sushi by Katsuyuki", "Sushi@intuit.com", None),
    ("26", "Travis Waldron", None, "Travis@Waldron.com", None),
    ("27", "Video Games by Dan", "Video Games by Dan", "Videogames@intuit.com", None),
    (
        "28",
        "Wedding Planning by Whitney",
        "Wedding Planning by Whitney",
        "Dream_Wedding@intuit.com",
        None,
    ),
    ("29", "Weiskopf Consulting", "Weiskopf Consulting", "Consulting@intuit.com", None),
)

# What the samples show beyond the list above, per customer Id.
CUSTOMER_DETAILS: dict[str, dict[str, Any]] = {
    "1": {
        "GivenName": "Amy",
        "FamilyName": "Lauterbach",
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-3311"},
        "BillAddr": {
            "Id": "2",
            "Line1": "4581 Finch St.",
            "City": "Bayshore",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94326",
            "Lat": "INVALID",
            "Long": "INVALID",
        },
        "ShipAddr": {
            "Id": "109",
            "Line1": "4581 Finch St.",
            "City": "Bayshore",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94326",
            "Lat": "INVALID",
            "Long": "INVALID",
        },
        "Taxable": True,
        "Balance": 239.0,
    },
    "2": {
        "GivenName": "Bill",
        "FamilyName": "Lucchini",
        "PrimaryPhone": {"FreeFormNumber": "(415) 444-6538"},
        "BillAddr": {
            "Id": "3",
            "Line1": "12 Ocean Dr.",
            "City": "Half Moon Bay",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94213",
            "Lat": "37.4307072",
            "Long": "-122.4295234",
        },
        "Taxable": False,
        "Balance": 85.0,
    },
    "3": {
        "GivenName": "Grace",
        "FamilyName": "Pariente",
        "PrimaryPhone": {"FreeFormNumber": "(415) 555-9933"},
        "BillAddr": {
            "Id": "4",
            "Line1": "65 Ocean Dr.",
            "City": "Half Moon Bay",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94213",
            "Lat": "37.4300318",
            "Long": "-122.4336537",
        },
        "Taxable": False,
    },
    "4": {
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-4477"},
        "BillAddr": {
            "Id": "5",
            "Line1": "321 Channing",
            "City": "Palo Alto",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94303",
            "Lat": "37.443231",
            "Long": "-122.1561846",
        },
        "Taxable": False,
    },
    "5": {
        "GivenName": "Peter",
        "FamilyName": "Dukes",
        "PrimaryPhone": {"FreeFormNumber": "(520) 420-5638"},
        "BillAddr": {
            "Id": "6",
            "Line1": "25 Court St.",
            "City": "Tucson",
            "CountrySubDivisionCode": "AZ",
            "PostalCode": "85719",
            "Lat": "32.2841116",
            "Long": "-110.9744298",
        },
        "Taxable": True,
    },
    "24": {
        "BillAddr": {
            "Id": "25",
            "Line1": "5647 Cypress Hill Ave.",
            "City": "Middlefield",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94303",
            "Lat": "37.4238562",
            "Long": "-122.1141681",
        },
    },
    "29": {
        "GivenName": "Nicola",
        "FamilyName": "Weiskopf",
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-1423"},
        "BillAddr": {
            "Id": "30",
            "Line1": "45612 Main St.",
            "City": "Bayshore",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94326",
            "Lat": "45.256574",
            "Long": "-66.0943698",
        },
        "Taxable": False,
        "Balance": 390.0,
    },
}

# Vendors share the customers' id sequence.
VENDORS: tuple[tuple[str, str], ...] = (
    ("30", "Books by Bessie"),
    ("31", "Brosnahan Insurance Agency"),
    ("32", "Cal Telephone"),
    ("40", "Hall Properties"),
    ("41", "Hicks Hardware"),
    ("46", "Norton Lumber and Building Materials"),
    ("56", "Bob's Burger Joint"),
)

VENDOR_DETAILS: dict[str, dict[str, Any]] = {
    "30": {
        "GivenName": "Bessie",
        "FamilyName": "Williams",
        "CompanyName": "Books by Bessie",
        "PrimaryEmailAddr": {"Address": "Books@Intuit.com"},
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-7745"},
        "WebAddr": {"URI": "http://www.booksbybessie.co"},
        "AcctNum": "1345",
        "BillAddr": {
            "Id": "31",
            "Line1": "15 Main St.",
            "City": "Palo Alto",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94303",
            "Lat": "37.445013",
            "Long": "-122.1391443",
        },
    },
}

# The next Id each sequence hands out after the sample: new customers get 58
# (the first app-created customer in a public dump), transactions 180 (the
# app-created estimates there), accounts 94 (Intuit's Account create sample),
# addresses 112 (Intuit's Customer create sample). Items continue after 18.
NEXT_IDS = {"name": 58, "txn": 180, "account": 94, "address": 112, "item": 19}
