"""Deterministic, realistic records for a fresh org: the same seed and sizes
always give the same names, emails, addresses, ids and amounts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC

from . import seed_words as words
from .line_items import compute_row, compute_totals
from .org import Org, Record
from .schema import INVOICE_STATUSES, QUOTE_STAGES

DAY = 86400


@dataclass
class Sizes:
    contacts: int = 0
    accounts: int = 0
    products: int = 0
    invoices: int = 0
    quotes: int = 0
    vendors: int = 0
    leads: int = 0


class Seeder:
    def __init__(self, org: Org, seed: int, now: int) -> None:
        self.org = org
        self.rng = random.Random(seed)
        self.now = now

    def _times(self, count: int) -> list[tuple[int, int]]:
        created = sorted(
            self.now - self.rng.randint(DAY, 365 * DAY) for _ in range(count)
        )
        return [(c, self.rng.randint(c, self.now - 60)) for c in created]

    def _store(self, module: str, values: Record, times: tuple[int, int]) -> Record:
        record: Record = {"id": self.org.new_id(), **values}
        record.update(
            Owner={"id": self.org.user["id"]},
            Created_Time=times[0],
            Modified_Time=times[1],
            Record_Status__s="Available",
            Locked__s=False,
        )
        self.org.module_records(module)[record["id"]] = record
        return record

    def _address(self, prefix: str, code_key: str = "Code") -> Record:
        city, state, zip_prefix = self.rng.choice(words.CITIES)
        street = (
            f"{self.rng.randint(10, 9999)} {self.rng.choice(words.STREET_NAMES)} "
            f"{self.rng.choice(words.STREET_KINDS)}"
        )
        zip_code = f"{zip_prefix}{self.rng.randint(0, 99):02d}"
        keys = ("Street", "City", "State", code_key, "Country")
        values = (street, city, state, zip_code, "USA")
        return {
            (f"{prefix}_{k}" if prefix else k): v
            for k, v in zip(keys, values, strict=True)
        }

    def _company(self, index: int) -> str:
        name = (
            f"{self.rng.choice(words.COMPANY_WORDS)} "
            f"{self.rng.choice(words.COMPANY_KINDS)} "
            f"{self.rng.choice(words.COMPANY_SUFFIXES)}"
        )
        return name if index < 50 else f"{name} {index}"

    def _phone(self) -> str:
        return f"555-{self.rng.randint(100, 999)}-{self.rng.randint(1000, 9999)}"

    def _domain(self, company: str) -> str:
        return company.split()[0].lower() + self.rng.choice(("mail.com", "corp.com"))

    def vendors(self, count: int) -> list[Record]:
        made = []
        for index, times in enumerate(self._times(count)):
            name = f"{self._company(index)} Supply"
            values = {
                "Vendor_Name": name,
                "Email": f"billing{index}@{self._domain(name)}",
                "Phone": self._phone(),
                "Website": f"www.{self._domain(name)}",
                **self._address("", "Zip_Code"),
            }
            made.append(self._store("Vendors", values, times))
        return made

    def accounts(self, count: int) -> list[Record]:
        made = []
        for index, times in enumerate(self._times(count)):
            name = self._company(index)
            values = {
                "Account_Name": name,
                "Account_Type": "Customer",
                "Industry": self.rng.choice(words.INDUSTRIES),
                "Phone": self._phone(),
                "Website": f"www.{self._domain(name)}",
                "Account_Number": f"A-{10000 + index}",
                **self._address("Billing"),
                **self._address("Shipping"),
            }
            made.append(self._store("Accounts", values, times))
        return made

    def people(self, module: str, count: int, accounts: list[Record]) -> list[Record]:
        made = []
        for index, times in enumerate(self._times(count)):
            first = self.rng.choice(words.FIRST_NAMES)
            last = self.rng.choice(words.LAST_NAMES)
            email_domain = self.rng.choice(("example.com", "mail.test", "corp.test"))
            values: Record = {
                "First_Name": first,
                "Last_Name": last,
                "Full_Name": f"{first} {last}",
                "Email": f"{first}.{last}.{index}@{email_domain}".lower(),
                "Phone": self._phone(),
            }
            if module == "Contacts":
                values.update(
                    Mobile=self._phone(),
                    Title=self.rng.choice(words.TITLES),
                    Email_Opt_Out=False,
                    **self._address("Mailing", "Zip"),
                )
                if accounts:
                    account = self.rng.choice(accounts)
                    values["Account_Name"] = self._ref(account, "Account_Name")
            else:
                values["Company"] = self._company(index)
            made.append(self._store(module, values, times))
        return made

    def products(self, count: int, vendors: list[Record]) -> list[Record]:
        made = []
        for index, times in enumerate(self._times(count)):
            name = (
                f"{self.rng.choice(words.PRODUCT_ADJECTIVES)} "
                f"{self.rng.choice(words.PRODUCT_NOUNS)} {100 + index}"
            )
            values: Record = {
                "Product_Name": name,
                "Product_Code": f"SKU-{10000 + index}",
                "Product_Active": True,
                "Taxable": self.rng.random() < 0.7,
                "Unit_Price": round(self.rng.uniform(5, 900), 2),
                "Qty_in_Stock": float(self.rng.randint(0, 500)),
                "Description": f"{name} for everyday use",
                "Fetch_Product_Details": False,
            }
            if vendors:
                values["Vendor_Name"] = self._ref(
                    self.rng.choice(vendors), "Vendor_Name"
                )
            made.append(self._store("Products", values, times))
        return made

    @staticmethod
    def _ref(record: Record, name_field: str) -> Record:
        return {"id": record["id"], "name": record[name_field]}

    def deals(
        self,
        module: str,
        count: int,
        contacts: list[Record],
        products: list[Record],
    ) -> None:
        if not products:
            return
        items_key = "Invoiced_Items" if module == "Invoices" else "Quoted_Items"
        number_key = "Invoice_Number" if module == "Invoices" else "Quote_Number"
        prefix = "INV-" if module == "Invoices" else "QT-"
        for times in self._times(count):
            rows = []
            for product in self.rng.sample(
                products, min(len(products), self.rng.randint(1, 4))
            ):
                row: Record = {
                    "id": self.org.new_id(),
                    "Product_Name": self._ref(product, "Product_Name"),
                    "Quantity": float(self.rng.randint(1, 20)),
                    "List_Price": product["Unit_Price"],
                    "Discount": 0.0,
                    "Description": None,
                    "Line_Tax": [],
                }
                compute_row(row, product["Unit_Price"])
                rows.append(row)
            values: Record = {items_key: rows, "QBSYNC": False}
            values[number_key] = f"{prefix}{self.org.next_number(module):05d}"
            contact = self.rng.choice(contacts) if contacts else None
            if contact:
                values["Contact_Name"] = self._ref(contact, "Full_Name")
                if contact.get("Account_Name"):
                    values["Account_Name"] = dict(contact["Account_Name"])
            who = contact["Full_Name"] if contact else "Walk-in customer"
            values["Subject"] = (
                f"{'Invoice' if module == 'Invoices' else 'Quote'} for {who}"
            )
            day = self._date(times[0])
            if module == "Invoices":
                values.update(
                    Invoice_Date=day,
                    Due_Date=self._date(times[0] + 30 * DAY),
                    Status=self.rng.choice(INVOICE_STATUSES),
                )
            else:
                values.update(
                    Valid_Till=self._date(times[0] + 30 * DAY),
                    Quote_Stage=self.rng.choice(QUOTE_STAGES),
                )
            compute_totals(values, rows)
            self._store(module, values, times)

    @staticmethod
    def _date(epoch: int) -> str:
        from datetime import datetime

        return datetime.fromtimestamp(epoch, tz=UTC).date().isoformat()


def seed_org(org: Org, seed: int, sizes: Sizes, now: int) -> None:
    seeder = Seeder(org, seed, now)
    vendors = seeder.vendors(sizes.vendors)
    accounts = seeder.accounts(sizes.accounts)
    contacts = seeder.people("Contacts", sizes.contacts, accounts)
    seeder.people("Leads", sizes.leads, accounts)
    products = seeder.products(sizes.products, vendors)
    seeder.deals("Invoices", sizes.invoices, contacts, products)
    seeder.deals("Quotes", sizes.quotes, contacts, products)
