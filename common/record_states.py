"""One record's sync state as a person reads it (``syncctl record``).

Every record is in exactly one of: ``synced`` (with the other side's id),
``waiting`` (on what: its dependencies, its create, a write's confirmation),
``refused``/``failed`` (with the reason a person can act on), ``deleted``,
or ``not seen yet``. Read from the matcher's documents (mirror entry, link,
parked entry; layout in services/matcher/model.py) and the open dead letters
naming the record; the decision itself is the pure ``state_of``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from common.entities import COUNTERPART, QBO_COUNTERPART
from common.subjects import label_of

# The matcher's collections (services/matcher/mongo.py) and the dead letters.
MIRRORS = "matcher_mirror"
LINKS = "matcher_links"
PARKED = "matcher_parked"
DEAD_LETTERS = "dead_letters"

SIDE = {"crm": "Zoho CRM", "qbo": "QuickBooks"}
OTHER = {"crm": "qbo", "qbo": "crm"}
Document = Mapping[str, Any]


@dataclass(frozen=True)
class RecordState:
    system: str
    entity: str
    external_id: str
    state: str  # synced | waiting | refused | failed | deleted | not seen yet
    detail: str = ""
    label: str | None = None

    def line(self) -> str:
        named = f" ({self.label})" if self.label else ""
        said = f"{self.state}:" if self.state in ("refused", "failed") else self.state
        detail = f" {self.detail}" if self.detail else ""
        return f"{self.system} {self.entity} {self.external_id}{named}: {said}{detail}"


def kind_of(system: str, entity: str) -> str:
    """The matcher's pair kind (the CRM entity name)."""
    return entity if system == "crm" else QBO_COUNTERPART.get(entity, entity)


def state_of(
    system: str,
    entity: str,
    external_id: str,
    *,
    mirror: Document | None,
    link: Document | None,
    parked: Document | None,
    letters: Sequence[Document] = (),
) -> RecordState:
    """The one state these documents put the record in."""
    label = label_of((mirror or {}).get("record")) or _letter_label(letters)
    state, detail = _decide(system, entity, mirror, link, parked, letters)
    return RecordState(system, entity, external_id, state, detail, label)


def _decide(
    system: str,
    entity: str,
    mirror: Document | None,
    link: Document | None,
    parked: Document | None,
    letters: Sequence[Document],
) -> tuple[str, str]:
    if mirror is None:
        if letters:  # its gateway could not read it: never reached the matcher
            return _from_letter(letters[0])
        if link is not None:  # made by the sync; its echo is not back yet
            return _from_link(system, entity, link)
        return "not seen yet", ""
    if mirror.get("deleted"):
        return "deleted", f"in {SIDE[system]}"
    if mirror.get("state") in ("refused", "failed"):
        return str(mirror["state"]), str(mirror.get("reason") or "")
    if letters:
        return _from_letter(letters[0])
    if parked is not None:
        waiting = ", ".join(_dependency(key) for key in parked.get("waiting") or ())
        return "waiting", f"on {waiting}"
    if entity == "account":
        return "synced", "(an account feeds its contacts' QuickBooks customers)"
    if link is None and (mirror.get("record") or {}).get("active") is False:
        return "deleted", f"(inactive in {SIDE[system]} before it was ever synced)"
    if link is None:
        return "waiting", "on the matcher (seen, not decided yet)"
    return _from_link(system, entity, link)


def _from_link(system: str, entity: str, link: Document) -> tuple[str, str]:
    other = OTHER[system]
    other_entity = COUNTERPART.get(entity) if system == "crm" else link.get("kind")
    other_id = link.get(f"{other}_id")
    twin = f"{other} {other_entity} {other_id}"
    if link.get("state") == "failed":  # stored before session 2
        return "failed", str(link.get("reason") or "")
    if link.get("state") in ("deleted", "voided"):
        return "deleted", f"({link['state']}; was synced with {twin})"
    if other_id is None:
        return "waiting", f"on its create in {SIDE[other]}"
    pending = sorted((link.get("pending") or {}).keys())
    if pending:
        sides = " and ".join(SIDE[side] for side in pending)
        return "waiting", f"on {sides} confirming a write (synced with {twin})"
    return "synced", f"with {twin}"


def _from_letter(letter: Document) -> tuple[str, str]:
    name = "refused" if letter.get("error_class") == "permanent" else "failed"
    return name, str(letter.get("reason") or "")


def _letter_label(letters: Sequence[Document]) -> str | None:
    return next((str(d["label"]) for d in letters if d.get("label")), None)


def _dependency(key: str) -> str:
    """``crm:contact:123`` → ``crm contact 123``."""
    return " ".join(key.split(":", 2))


async def read_state(
    db: Any, tenant: str, system: str, entity: str, external_id: str
) -> RecordState:
    """The record's documents, read, and its one state."""
    record_id = f"{tenant}|{system}|{entity}|{external_id}"
    mirror = await db[MIRRORS].find_one({"_id": record_id})
    # By its single-field key (``crm_ref``/``qbo_ref``, see the matcher's
    # services/matcher/mongo.py), which stays fast however many links there are.
    kind = kind_of(system, entity)
    link = await db[LINKS].find_one({f"{system}_ref": f"{tenant}|{kind}|{external_id}"})
    parked = await db[PARKED].find_one({"_id": record_id})
    letters = (
        await db[DEAD_LETTERS]
        .find(
            {
                "tenant": tenant,
                "external_id": external_id,
                "system": system,
                "entity": entity,
            }
        )
        .sort("last_failed_at", -1)
        .to_list(None)
    )
    return state_of(
        system,
        entity,
        external_id,
        mirror=mirror,
        link=link if entity != "account" else None,
        parked=parked,
        letters=letters,
    )
