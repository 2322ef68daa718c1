"""Seeded user actions on both sides: what people do to their CRM and their
books while the sync runs, plus the operator's commands and the faults."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tests.convergence.actions import (
    BACKFILL,
    CLEAR,
    CREATE,
    DELETE,
    DOCUMENTS,
    DUPLICATE_WEBHOOKS,
    EDIT,
    KILL,
    PARTY,
    PRODUCT,
    REPLAY_TWICE,
    STALE_WEBHOOKS,
    Action,
)

FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia", "Linus")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Perlman")
COMPANY = ("Analytical", "Difference", "Babbage", "Jacquard", "Hollerith", "Zuse")
GOODS = ("Gear", "Loom Card", "Valve", "Relay", "Punch", "Drum", "Tape")
CITIES = ("London", "Paris", "Boston", "Zurich", "Delft")
SERVICES = ("matcher", "crm_gateway", "qbo_gateway", "scheduler")

CREATE_WEIGHTS = {
    "zoho": {
        "contact": 3,
        "account": 1,
        "product": 2,
        "vendor": 1,
        "invoice": 1.5,
        "quote": 1,
    },
    "qbo": {"customer": 3, "item": 2, "vendor": 1, "invoice": 1.5, "estimate": 1},
}
# Fields a person may edit, and the ones they may empty (never a required one).
EDITABLE = {
    ("zoho", "contact"): ("first_name", "last_name", "email", "phone", "mobile"),
    ("zoho", "account"): ("phone", "billing_address"),
    ("zoho", "product"): ("description", "unit_price", "sku"),
    ("zoho", "vendor"): ("email", "phone", "website"),
    ("qbo", "customer"): (
        "first_name",
        "last_name",
        "email",
        "phone",
        "mobile",
        "company_name",
        "billing_address",
    ),
    ("qbo", "item"): ("description", "unit_price", "sku"),
    ("qbo", "vendor"): ("email", "phone", "company_name"),
}
CLEARABLE = {
    ("zoho", "contact"): ("first_name", "email", "phone", "mobile"),
    ("zoho", "account"): ("phone", "billing_address"),
    ("zoho", "product"): ("description", "sku"),
    ("zoho", "vendor"): ("email", "phone", "website"),
    ("qbo", "customer"): (
        "email",
        "phone",
        "mobile",
        "company_name",
        "billing_address",
    ),
    ("qbo", "item"): ("description", "sku"),
    ("qbo", "vendor"): ("email", "phone", "company_name"),
}
DOCUMENT_EDITABLE = ("lines", "notes", "due_date")
DOCUMENT_CLEARABLE = ("notes", "due_date")


@dataclass
class Slot:
    name: str
    side: str
    entity: str
    values: dict[str, Any] = field(default_factory=dict)
    alive: bool = True


class Planner:
    """Keeps what the generator believes exists, so every action makes sense
    to a person (edit what is there, clear what is set)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.slots: list[Slot] = []
        self.serial = 0

    # -- the model -------------------------------------------------------

    def live(self, side: str, entity: str | None = None) -> list[Slot]:
        return [
            s
            for s in self.slots
            if s.alive and s.side == side and entity in (None, s.entity)
        ]

    def next_number(self) -> int:
        self.serial += 1
        return self.serial

    # -- actions ---------------------------------------------------------

    def person_action(self) -> Action:
        draw = self.rng.random()
        existing = [s for s in self.slots if s.alive]
        if not existing or draw < 0.55:
            side = self.rng.choice(("zoho", "qbo"))
            weights = CREATE_WEIGHTS[side]
            entity = self.rng.choices(list(weights), list(weights.values()))[0]
            return self.create(side, entity)
        slot = self.rng.choice(existing)
        if draw < 0.8:
            return self.edit(slot)
        if draw < 0.92:
            return self.clear(slot) or self.edit(slot)
        return self.delete(slot)

    def create(self, side: str, entity: str) -> Action:
        if entity in DOCUMENTS:
            if not self.live(side, PARTY[side]):
                return self.create(side, PARTY[side])
            if not self.live(side, PRODUCT[side]):
                return self.create(side, PRODUCT[side])
        values = self.fresh_values(side, entity)
        slot = Slot(f"{side}.{entity}.{self.next_number()}", side, entity, values)
        self.slots.append(slot)
        return Action(CREATE, side, entity, slot.name, dict(values))

    def fresh_values(self, side: str, entity: str) -> dict[str, Any]:
        rng, n = self.rng, self.next_number()
        values: dict[str, Any] = {}
        if entity in ("contact", "customer"):
            values |= self.person(side, n)
        elif entity == "account":
            values["name"] = f"{rng.choice(COMPANY)} Ltd {n}"
            self.maybe(values, 0.5, "phone", self.phone())
            self.maybe(values, 0.5, "billing_address", self.address())
        elif entity in ("product", "item"):
            values["name"] = f"{rng.choice(GOODS)} {n}"
            self.maybe(values, 0.85, "unit_price", self.price())
            self.maybe(values, 0.5, "description", f"{rng.choice(GOODS)} part {n}")
            self.maybe(values, 0.4, "sku", f"SKU-{n}")
        elif entity == "vendor":
            values["name"] = f"{rng.choice(COMPANY)} Supply {n}"
            self.maybe(values, 0.6, "email", f"orders{n}@supply.example")
            self.maybe(values, 0.5, "phone", self.phone())
            other = "website" if side == "zoho" else "company_name"
            value = f"https://supply{n}.example" if side == "zoho" else f"Supply {n}"
            self.maybe(values, 0.3, other, value)
        else:
            values["party"] = rng.choice(self.live(side, PARTY[side])).name
            values["lines"] = self.lines(side)
            self.maybe(values, 0.4, "notes", f"Order {n}: thanks")
            self.maybe(values, 0.4, "due_date", self.day())
        return values

    def person(self, side: str, n: int) -> dict[str, Any]:
        rng = self.rng
        values: dict[str, Any] = {}
        other = "qbo" if side == "zoho" else "zoho"
        twins = [s for s in self.live(other, PARTY[other]) if s.values.get("email")]
        if twins and rng.random() < 0.25:
            # The same person entered on both sides, by their email.
            twin = rng.choice(twins).values
            values["email"] = twin["email"].upper() if rng.random() < 0.3 else None
            values["email"] = values["email"] or twin["email"]
            for name in ("first_name", "last_name"):
                if twin.get(name):
                    values[name] = twin[name]
        values.setdefault("last_name", f"{rng.choice(LAST)}{n}")
        if rng.random() < 0.8:
            values.setdefault("first_name", rng.choice(FIRST))
        if "email" not in values and rng.random() < 0.85:
            values["email"] = self.email(values)
        self.maybe(values, 0.6, "phone", self.phone())
        self.maybe(values, 0.25, "mobile", self.phone())
        if side == "zoho":
            accounts = self.live("zoho", "account")
            if accounts and rng.random() < 0.5:
                values["account"] = rng.choice(accounts).name
        else:
            if rng.random() < 0.35:
                names = [a.values["name"] for a in self.live("zoho", "account")]
                fresh = f"{rng.choice(COMPANY)} Group {n}"
                values["company_name"] = rng.choice([*names, fresh])
            self.maybe(values, 0.35, "billing_address", self.address())
        return values

    def edit(self, slot: Slot) -> Action:
        if slot.entity in DOCUMENTS:
            name = self.rng.choice(DOCUMENT_EDITABLE)
        else:
            name = self.rng.choice(EDITABLE[slot.side, slot.entity])
        value = self.new_value(slot, name)
        slot.values[name] = value
        return Action(EDIT, slot.side, slot.entity, slot.name, {name: value})

    def clear(self, slot: Slot) -> Action | None:
        if slot.entity in DOCUMENTS:
            allowed: tuple[str, ...] = DOCUMENT_CLEARABLE
        else:
            allowed = CLEARABLE[slot.side, slot.entity]
        candidates = [name for name in allowed if slot.values.get(name)]
        if not candidates:
            return None
        name = self.rng.choice(candidates)
        slot.values.pop(name)
        return Action(CLEAR, slot.side, slot.entity, slot.name, {name: None})

    def delete(self, slot: Slot) -> Action:
        slot.alive = False
        return Action(DELETE, slot.side, slot.entity, slot.name)

    # -- values ----------------------------------------------------------

    def new_value(self, slot: Slot, name: str) -> Any:
        n = self.next_number()
        if name == "email" and slot.entity == "vendor":
            return f"orders{n}@supply.example"
        if name == "email":
            return self.email(slot.values, n)
        if name == "first_name":
            return self.rng.choice(FIRST)
        if name == "last_name":
            return f"{self.rng.choice(LAST)}{n}"
        if name in ("phone", "mobile"):
            return self.phone()
        if name == "billing_address":
            return self.address()
        if name == "unit_price":
            return self.price()
        if name == "description":
            return f"{self.rng.choice(GOODS)} part {n}"
        if name == "sku":
            return f"SKU-{n}"
        if name == "website":
            return f"https://supply{n}.example"
        if name == "company_name":
            return f"{self.rng.choice(COMPANY)} Group {n}"
        if name == "lines":
            return self.lines(slot.side)
        if name == "notes":
            return f"Order {n}: revised"
        return self.day()  # due_date

    def email(self, values: dict[str, Any], n: int | None = None) -> str:
        person = f"{values.get('first_name') or 'someone'}.{values['last_name']}"
        suffix = "" if n is None else str(n)
        return f"{person}{suffix}@example.test".lower()

    def phone(self) -> str:
        return f"+1 415 555 {self.rng.randint(1000, 9999)}"

    def price(self) -> str:
        return f"{self.rng.randint(5, 500)}.{self.rng.choice(('00', '50', '99'))}"

    def address(self) -> dict[str, str]:
        return {
            "line1": f"{self.rng.randint(1, 99)} Engine St",
            "city": self.rng.choice(CITIES),
            "postal_code": str(self.rng.randint(10000, 99999)),
        }

    def day(self) -> str:
        return f"2031-0{self.rng.randint(1, 9)}-{self.rng.randint(10, 28)}"

    def lines(self, side: str) -> list[list[Any]]:
        products = self.live(side, PRODUCT[side])
        chosen = self.rng.sample(products, k=min(len(products), self.rng.randint(1, 2)))
        return [[p.name, self.rng.randint(1, 5), self.price()] for p in chosen]

    def maybe(
        self, values: dict[str, Any], chance: float, name: str, value: Any
    ) -> None:
        if self.rng.random() < chance:
            values[name] = value


def fault_actions(rng: random.Random) -> list[Action]:
    """One of each operator action and fault, so every seed exercises them."""
    return [
        Action(BACKFILL, rng.choice(("crm", "qbo"))),
        Action(DUPLICATE_WEBHOOKS, rng.choice(("zoho", "qbo"))),
        Action(STALE_WEBHOOKS, rng.choice(("zoho", "qbo"))),
        Action(REPLAY_TWICE),
        Action(KILL, entity=rng.choice(SERVICES)),
    ]


def generate(seed: int) -> list[Action]:
    """20–30 actions: people's edits with the faults spread among them."""
    rng = random.Random(seed)
    planner = Planner(rng)
    faults = fault_actions(rng)
    count = rng.randint(20, 30) - len(faults)
    actions = [planner.person_action() for _ in range(count)]
    for fault in faults:
        actions.insert(rng.randint(3, len(actions)), fault)
    return actions
