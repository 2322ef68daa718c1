"""The entity names each system uses on the bus, and how they pair up."""

from __future__ import annotations

from typing import Literal

from common.records import (
    CanonicalRecord,
    Organization,
    Party,
    Product,
    SalesDocument,
    Vendor,
)

System = Literal["crm", "qbo"]
SYSTEMS: tuple[System, ...] = ("crm", "qbo")

CRM_ENTITIES = ("contact", "account", "product", "invoice", "quote", "vendor")
QBO_ENTITIES = ("customer", "item", "invoice", "estimate", "vendor")
ENTITIES: dict[str, tuple[str, ...]] = {"crm": CRM_ENTITIES, "qbo": QBO_ENTITIES}

# crm entity -> qbo entity. Accounts have no QBO twin of their own: they feed
# the company fields of every customer linked to their contacts.
COUNTERPART: dict[str, str] = {
    "contact": "customer",
    "product": "item",
    "invoice": "invoice",
    "quote": "estimate",
    "vendor": "vendor",
}
QBO_COUNTERPART: dict[str, str] = {qbo: crm for crm, qbo in COUNTERPART.items()}

RECORD_TYPE: dict[tuple[System, str], type[CanonicalRecord]] = {
    ("crm", "contact"): Party,
    ("crm", "account"): Organization,
    ("crm", "product"): Product,
    ("crm", "invoice"): SalesDocument,
    ("crm", "quote"): SalesDocument,
    ("crm", "vendor"): Vendor,
    ("qbo", "customer"): Party,
    ("qbo", "item"): Product,
    ("qbo", "invoice"): SalesDocument,
    ("qbo", "estimate"): SalesDocument,
    ("qbo", "vendor"): Vendor,
}


def counterpart(system: System, entity: str) -> tuple[System, str] | None:
    """The entity on the other side that `entity` syncs with, if any."""
    if system == "crm":
        other = COUNTERPART.get(entity)
        return ("qbo", other) if other else None
    other = QBO_COUNTERPART.get(entity)
    return ("crm", other) if other else None


def validate_entity(system: str, entity: str) -> None:
    known = ENTITIES.get(system)
    if known is None:
        raise ValueError(f"unknown system {system!r}; expected one of {SYSTEMS}")
    if entity not in known:
        raise ValueError(f"unknown {system} entity {entity!r}; expected one of {known}")
