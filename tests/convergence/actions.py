"""What a person (or an operator, or bad luck) does: one action a line.

Actions name records by *slot* ("zoho.contact.3"), never by id: ids exist
only once the action ran, and a shrunk list must still read the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Person edits through a side's API.
CREATE, EDIT, CLEAR, DELETE = "create", "edit", "clear", "delete"
# Operator actions and faults.
BACKFILL = "backfill"  # `syncctl backfill start`, left running
DUPLICATE_WEBHOOKS = "duplicate_webhooks"  # last delivery re-POSTed at once, 3x
STALE_WEBHOOKS = "stale_webhooks"  # old deliveries re-POSTed, newest first
REPLAY_TWICE = "replay_dead_letters_twice"  # two `replay --all` at once
KILL = "kill"  # SIGKILL a service, restart it
PAUSE = "pause"

PERSON_OPS = (CREATE, EDIT, CLEAR, DELETE)
FAULT_OPS = (BACKFILL, DUPLICATE_WEBHOOKS, STALE_WEBHOOKS, REPLAY_TWICE, KILL)

ZOHO_ENTITIES = ("contact", "account", "product", "vendor", "invoice", "quote")
QBO_ENTITIES = ("customer", "item", "vendor", "invoice", "estimate")
DOCUMENTS = ("invoice", "quote", "estimate")
PARTY = {"zoho": "contact", "qbo": "customer"}
PRODUCT = {"zoho": "product", "qbo": "item"}


@dataclass
class Action:
    op: str
    side: str = ""  # zoho | qbo (a backfill: crm | qbo)
    entity: str = ""  # a side's entity; for KILL the service name
    slot: str = ""
    # Field -> value in canonical names; references are slot names; lines
    # are [slot, quantity, unit price] triples. CLEAR lists the field only.
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        target = " ".join(part for part in (self.side, self.entity, self.slot) if part)
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.op} {target}" + (f" {{{shown}}}" if shown else "")


def references(action: Action) -> list[str]:
    """The slots an action needs to exist before it can run."""
    slots = [action.slot] if action.op in (EDIT, CLEAR, DELETE) else []
    for name in ("account", "party"):
        if isinstance(action.values.get(name), str):
            slots.append(action.values[name])
    slots += [line[0] for line in action.values.get("lines") or ()]
    return slots
