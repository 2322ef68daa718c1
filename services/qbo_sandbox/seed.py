"""Deterministic, realistic companies: the same seed and sizes always give
the same records (only times follow the clock)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from services.qbo_sandbox import seed_words as words
from services.qbo_sandbox.clock import meta_time
from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.defaults import account_id
from services.qbo_sandbox.meta import USD

SAMPLE_SEED = "intuit-sample"


@dataclass(frozen=True)
class SeedPlan:
    seed: int = 1
    customers: int = 0
    vendors: int = 0
    items: int = 0
    invoices: int = 0
    estimates: int = 0
    history_days: int = 365
    inactive_rate: float = 0.0
    shared_email_rate: float = 0.0
    # `"seed": "intuit-sample"` starts from Intuit's sample company instead
    # of an empty one (see sample_company.py); counts still add on top.
    sample: bool = False

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> SeedPlan:
        if body.get("seed") == SAMPLE_SEED:
            rest = {k: v for k, v in body.items() if k not in ("seed", "sample")}
            return replace(cls.from_body(rest), sample=True)
        fields = cls.__dataclass_fields__
        return cls(
            **{
                k: type(getattr(cls, k))(v)
                for k, v in body.items()
                if k in fields and k != "sample"
            }
        )


class Seeder:
    def __init__(self, company: Company, plan: SeedPlan, now: datetime) -> None:
        self.company = company
        self.plan = plan
        self.now = now
        self.rng = random.Random(plan.seed)
        # Names already in the company (the sample's, or none) stay unique.
        self.display_names = {
            record["DisplayName"].casefold()
            for entity in ("Customer", "Vendor")
            for record in company.table(entity).values()
        }
        self.emails: list[str] = []

    def run(self) -> dict[str, int]:
        for _ in range(self.plan.customers):
            self.add("Customer", self.customer())
        for _ in range(self.plan.vendors):
            self.add("Vendor", self.vendor())
        item_names = {i["Name"].casefold() for i in self.company.table("Item").values()}
        for number in range(1, self.plan.items + 1):
            self.add("Item", self.item(number, item_names))
        customers = list(self.company.table("Customer").values())
        items = [i for i in self.company.table("Item").values() if i["Active"]]
        for entity, count in (
            ("Invoice", self.plan.invoices),
            ("Estimate", self.plan.estimates),
        ):
            if count and not customers:
                raise ValueError(f"{entity.lower()}s need at least one customer")
            for _ in range(count):
                self.add(entity, self.sales_form(entity, customers, items))
        return {k: len(v) for k, v in self.company.records.items()}

    def moments(self) -> tuple[str, str]:
        span = self.plan.history_days * 86400
        created = self.now - timedelta(seconds=self.rng.randint(3600, max(span, 3601)))
        age = (self.now - created).total_seconds()
        updated = created + timedelta(seconds=self.rng.uniform(0, max(age - 60, 0)))
        return meta_time(created, self.company.tz), meta_time(updated, self.company.tz)

    def add(self, entity: str, record: Record) -> None:
        created, updated = self.moments()
        record.update(
            Id=self.company.next_id(entity),
            SyncToken=str(self.rng.randint(0, 3)),
            domain="QBO",
            sparse=False,
            MetaData={"CreateTime": created, "LastUpdatedTime": updated},
        )
        if "Active" in record and self.rng.random() < self.plan.inactive_rate:
            record["Active"] = False
        self.company.put(entity, record)

    def unique_name(self, base: str) -> str:
        name, n = base, 2
        while name.casefold() in self.display_names:
            name, n = f"{base} {n}", n + 1
        self.display_names.add(name.casefold())
        return name

    def address(self) -> Record:
        city, state, zip_prefix = self.rng.choice(words.CITIES)
        return {
            "Id": str(self.company.next_number("address", start=100)),
            "Line1": f"{self.rng.randint(10, 9999)} {self.rng.choice(words.STREETS)}",
            "City": city,
            "Country": "USA",
            "CountrySubDivisionCode": state,
            "PostalCode": f"{zip_prefix}{self.rng.randint(0, 99):02d}",
        }

    def phone(self) -> Record:
        r = self.rng.randint
        return {"FreeFormNumber": f"({r(201, 989)}) 555-{r(0, 9999):04d}"}

    def email(self, given: str, family: str) -> str:
        if self.emails and self.rng.random() < self.plan.shared_email_rate:
            return self.rng.choice(self.emails)
        local = f"{given}.{family}{self.rng.randint(1, 999)}".lower()
        address = f"{local}@{self.rng.choice(words.EMAIL_DOMAINS)}"
        self.emails.append(address)
        return address

    def company_name(self) -> str:
        word = self.rng.choice(words.COMPANY_WORDS)
        kind = self.rng.choice(words.COMPANY_KINDS)
        return f"{word} {kind} {self.rng.choice(words.COMPANY_SUFFIXES)}"

    def customer(self) -> Record:
        given = self.rng.choice(words.GIVEN_NAMES)
        family = self.rng.choice(words.FAMILY_NAMES)
        company = self.company_name() if self.rng.random() < 0.4 else None
        display = self.unique_name(company or f"{given} {family}")
        bill = self.address()
        ship = dict(bill, Id=str(self.company.next_number("address", start=100)))
        record: Record = {
            "GivenName": given,
            "FamilyName": family,
            "DisplayName": display,
            "FullyQualifiedName": display,
            "PrintOnCheckName": company or display,
            "PrimaryEmailAddr": {"Address": self.email(given, family)},
            "PrimaryPhone": self.phone(),
            "BillAddr": bill,
            "ShipAddr": ship,
            "Active": True,
            "Taxable": self.rng.random() < 0.5,
            "Job": False,
            "BillWithParent": False,
            "PreferredDeliveryMethod": "Print",
            "Balance": 0,
            "BalanceWithJobs": 0,
            "CurrencyRef": dict(USD),
        }
        if company:
            record["CompanyName"] = company
        return record

    def vendor(self) -> Record:
        given = self.rng.choice(words.GIVEN_NAMES)
        family = self.rng.choice(words.FAMILY_NAMES)
        name = self.unique_name(self.company_name())
        return {
            "GivenName": given,
            "FamilyName": family,
            "CompanyName": name,
            "DisplayName": name,
            "PrintOnCheckName": name,
            "PrimaryEmailAddr": {"Address": self.email(given, family)},
            "PrimaryPhone": self.phone(),
            "BillAddr": self.address(),
            "AcctNum": str(self.rng.randint(1000, 99999)),
            "Vendor1099": self.rng.random() < 0.2,
            "Active": True,
            "Balance": 0,
            "CurrencyRef": dict(USD),
        }

    def item(self, number: int, taken: set[str]) -> Record:
        kind = self.rng.choice(("Service", "NonInventory", "Inventory"))
        nouns = words.SERVICE_NOUNS if kind == "Service" else words.PRODUCT_NOUNS
        base = f"{self.rng.choice(words.PRODUCT_ADJECTIVES)} {self.rng.choice(nouns)}"
        name, n = base, 2
        while name.casefold() in taken:
            name, n = f"{base} {n}", n + 1
        taken.add(name.casefold())
        price = round(self.rng.uniform(5, 500), 2)
        income = "Services" if kind == "Service" else "Sales of Product Income"
        record: Record = {
            "Name": name,
            "FullyQualifiedName": name,
            "Sku": f"SKU-{number:05d}",
            "Description": f"{name} ({kind.lower()})",
            "Active": True,
            "Type": kind,
            "Taxable": kind != "Service",
            "UnitPrice": price,
            "PurchaseCost": round(price * 0.55, 2),
            "TrackQtyOnHand": kind == "Inventory",
            "IncomeAccountRef": self.account_ref(income),
        }
        if kind == "Inventory":
            record.update(
                QtyOnHand=self.rng.randint(0, 500),
                InvStartDate=(self.now - timedelta(days=self.plan.history_days))
                .date()
                .isoformat(),
                ExpenseAccountRef=self.account_ref("Cost of Goods Sold"),
                AssetAccountRef=self.account_ref("Inventory Asset"),
            )
        return record

    def account_ref(self, name: str) -> Record:
        return {"value": account_id(self.company, name), "name": name}

    def sales_form(
        self, entity: str, customers: list[Record], items: list[Record]
    ) -> Record:
        customer = self.rng.choice(customers)
        lines: list[Record] = []
        for number in range(1, self.rng.randint(1, 5) + 1):
            item = self.rng.choice(items)
            qty = self.rng.randint(1, 10)
            price = item["UnitPrice"] or round(self.rng.uniform(20, 200), 2)
            lines.append({
                "Id": str(number),
                "LineNum": number,
                "Description": item.get("Description", item["Name"]),
                "Amount": round(qty * price, 2),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item["Id"], "name": item["Name"]},
                    "Qty": qty,
                    "UnitPrice": price,
                    "TaxCodeRef": {"value": "NON"},
                },
            })  # fmt: skip
        total = round(sum(line["Amount"] for line in lines), 2)
        lines.append(
            {
                "DetailType": "SubTotalLineDetail",
                "Amount": total,
                "SubTotalLineDetail": {},
            }
        )
        day = self.now.astimezone(self.company.tz).date() - timedelta(
            days=self.rng.randint(0, self.plan.history_days)
        )
        record: Record = {
            "DocNumber": str(self.company.next_number(f"doc:{entity}", start=1001)),
            "TxnDate": day.isoformat(),
            "DueDate": (day + timedelta(days=30)).isoformat(),
            "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
            "Line": lines,
            "TotalAmt": total,
            "TxnTaxDetail": {"TotalTax": 0},
            "EmailStatus": "NotSet",
            "PrintStatus": "NeedToPrint",
            "ApplyTaxAfterDiscount": False,
            "LinkedTxn": [],
            "SalesTermRef": {"value": "3", "name": "Net 30"},
        }
        # Sample customers may lack an address or an email.
        for key, source in (
            ("BillAddr", "BillAddr"),
            ("ShipAddr", "ShipAddr"),
            ("BillEmail", "PrimaryEmailAddr"),
        ):
            if source in customer:
                record[key] = dict(customer[source])
        if entity == "Invoice":
            record.update(Balance=total, Deposit=0)
        else:
            record["TxnStatus"] = self.rng.choice(
                ("Pending", "Accepted", "Closed", "Rejected")
            )
        return record
