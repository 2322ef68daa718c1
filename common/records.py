"""Canonical records: the one shape both gateways translate to and from.

Money is Decimal, never float; times are timezone-aware UTC. Records carry no
system ids of their own (those live on the envelope); references to other
records are ids in the record's own system (e.g. a CRM contact's account_id is
a CRM account id), which the matcher translates through links.

A field listed in ``not_carried`` is one the record's source does not carry
(its API has no such field, it lives in another module, or it was not
fetched): its value here means nothing. A field that is carried and None
means "this side says it is empty". Only the latter may clear anything.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

# Serialised as a string so JSON never rounds money through a float.
Money = Annotated[Decimal, PlainSerializer(str, return_type=str, when_used="json")]
Quantity = Money


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Canonical(Record):
    """A whole record as one system sees it (an Address is only a part)."""

    # Sorted field names (``custom.<key>`` for extra fields); see the module doc.
    not_carried: tuple[str, ...] = ()

    @field_validator("not_carried")
    @classmethod
    def _known_fields(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            head, _, key = name.partition(".")
            if head not in cls.model_fields or head == "not_carried":
                raise ValueError(f"{cls.__name__} has no field {name!r}")
            if key and head != "custom":
                raise ValueError(f"only custom fields have parts: {name!r}")
        return tuple(sorted(set(names)))

    def carries(self, name: str) -> bool:
        return name not in self.not_carried


class Address(Record):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Party(Canonical):
    """A person we bill: a CRM Contact, a QBO Customer.

    On the CRM side the company fields are the contact's Account's: a contact
    does not carry them, the matcher fills them in from the account before
    comparing with the QBO customer.
    """

    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    company_name: str | None = None
    billing_address: Address | None = None
    account_id: str | None = None  # CRM only: the contact's Account
    active: bool = True
    custom: dict[str, str | None] = Field(default_factory=dict)


class Organization(Canonical):
    """A CRM Account: the company half of a QBO customer."""

    name: str
    phone: str | None = None
    billing_address: Address | None = None
    active: bool = True
    custom: dict[str, str | None] = Field(default_factory=dict)


class Product(Canonical):
    """A CRM Product, a QBO Item."""

    name: str
    description: str | None = None
    unit_price: Money | None = None
    sku: str | None = None
    taxable: bool | None = None
    active: bool = True
    fetch_requested: bool = False  # CRM "Fetch Product Details" checkbox
    custom: dict[str, str | None] = Field(default_factory=dict)


class DocumentLine(Record):
    product_id: str | None = None  # in the record's own system
    product_name: str | None = None
    description: str | None = None
    quantity: Quantity = Decimal(1)
    unit_price: Money = Decimal(0)
    discount: Money = Decimal(0)  # an amount, not a percentage
    tax_code: str | None = None  # e.g. QBO "TAX"/"NON" or a CRM tax name
    tax_rate: Decimal | None = None  # percent, for non-US tax shapes
    amount: Money | None = None  # quantity * unit_price - discount, as the source says


DocumentKind = Literal["invoice", "estimate"]


class SalesDocument(Canonical):
    """A CRM Invoice or Quote, a QBO Invoice or Estimate."""

    kind: DocumentKind
    number: str | None = None  # QBO DocNumber / CRM Invoice_Number
    subject: str | None = None  # CRM only
    party_id: str | None = None  # CRM contact / QBO customer id
    account_id: str | None = None  # CRM only
    issue_date: date | None = None
    due_date: date | None = None
    status: str | None = None
    currency: str | None = None
    lines: tuple[DocumentLine, ...] = ()
    total: Money | None = None
    notes: str | None = None
    terms: str | None = None
    voided: bool = False
    custom: dict[str, str | None] = Field(default_factory=dict)


class Vendor(Canonical):
    name: str
    email: str | None = None
    phone: str | None = None
    company_name: str | None = None
    address: Address | None = None
    website: str | None = None
    active: bool = True
    custom: dict[str, str | None] = Field(default_factory=dict)


CanonicalRecord = Party | Organization | Product | SalesDocument | Vendor
