"""The sync's promise, checked on what both sides really hold.

(i)   every record is linked with equal synced fields, or listed with a
      reason naming it (a dead letter, or refused/waiting in the mirror);
(ii)  no field a person set is empty on both sides unless a person cleared it;
(iii) links are one-to-one and nothing was created twice;
(iv)  nothing left unacknowledged, nothing written after quiescence;
(v)   every dead letter names its record and is its only open one per cause.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from common.entities import COUNTERPART
from common.synced_fields import SYNC_FIELDS
from tests.convergence.executor import History
from tests.convergence.observe import MARKER, Key, Observed, Seen
from tests.convergence.quiescence import Sample

EMPTY: tuple[Any, ...] = (None, "", [], {})
SIDE_OF = {"crm": "zoho", "qbo": "qbo"}
DUPLICATE_NAME = re.compile(r"\(\d+\)\s*$")


@dataclass(frozen=True)
class Violation:
    invariant: str  # i .. v
    record: str
    detail: str

    def __str__(self) -> str:
        return f"({self.invariant}) {self.record}: {self.detail}"


def person_keys(history: History) -> dict[Key, str]:
    """Records people made, by key: slot name."""
    return {
        ("crm" if side == "zoho" else "qbo", entity, record_id): slot
        for (side, entity, record_id), slot in history.slot_of.items()
    }


def deleted_keys(history: History) -> set[Key]:
    keys = person_keys(history)
    return {key for key, slot in keys.items() if slot in history.deleted}


def complete(link: dict[str, Any] | None) -> bool:
    return bool(link and link.get("crm_id") and link.get("qbo_id"))


def twin_key(seen: Seen, link: dict[str, Any]) -> Key:
    if seen.system == "crm":
        return ("qbo", COUNTERPART[seen.kind], str(link["qbo_id"]))
    return ("crm", seen.kind, str(link["crm_id"]))


def in_scope(seen: Seen, baseline: set[Key], history: History) -> bool:
    """Accounts have no twin; records older than the run only once backfilled."""
    if seen.entity == "account":
        return False
    return seen.key not in baseline or seen.system in history.backfilled


# -- (i) linked and equal, or listed with a reason ----------------------------


def reasons_for(seen: Seen, observed: Observed) -> list[str]:
    reasons = [
        f"dead letter: {d.get('reason')}"
        for d in observed.dead_letters
        if (d.get("system"), d.get("entity"), d.get("external_id")) == seen.key
    ]
    mirror = observed.mirror.get(seen.key) or {}
    if mirror.get("state") == "refused" and mirror.get("reason"):
        reasons.append(f"refused: {mirror['reason']}")
    parked = observed.parked.get(seen.key)
    if parked is not None and not all_linked(parked["waiting"], observed):
        reasons.append(f"waiting for {parked['waiting']}")
    return reasons


def all_linked(waiting: list[str], observed: Observed) -> bool:
    for key in waiting:
        system, entity, external_id = key.split(":", 2)
        kind = "contact" if entity in ("contact", "customer") else "product"
        id_key = "crm_id" if system == "crm" else "qbo_id"
        if not any(
            complete(link) and link["kind"] == kind and link[id_key] == external_id
            for link in observed.links
        ):
            return False
    return True


def differences(left: Seen, right: Seen) -> dict[str, tuple[Any, Any]]:
    common = set(left.values) & set(right.values)
    return {
        name: (left.values[name], right.values[name])
        for name in sorted(common)
        if left.values[name] != right.values[name]
    }


def check_linked_or_listed(
    observed: Observed, history: History, baseline: set[Key]
) -> list[Violation]:
    found: list[Violation] = []
    people, deleted = person_keys(history), deleted_keys(history)
    for seen in observed.records.values():
        if not in_scope(seen, baseline, history):
            continue
        link = observed.link_of(seen)
        if not complete(link):
            if seen.key in deleted:
                continue  # made inactive by a person before it ever synced
            reasons = reasons_for(seen, observed)
            if reasons:
                continue
            if seen.key not in people and seen.key not in baseline:
                continue  # judged by (iii): the sync made it and linked nothing
            state = (observed.mirror.get(seen.key) or {}).get("state")
            found.append(
                Violation(
                    "i",
                    seen.label,
                    f"not linked (link {link and link.get('state')}, mirror "
                    f"{state}) and no dead letter or refusal names it",
                )
            )
            continue
        assert link is not None
        twin = observed.records.get(twin_key(seen, link))
        if twin is not None and link.get("state") in ("voided", "deleted"):
            # One side was voided or deleted by a person: the other keeps its
            # values and shows the status (a voided QBO invoice's lines are
            # zeroed by QBO itself), so the synced fields no longer agree.
            continue
        if twin is None:
            found += gone_twin(seen, link, observed, deleted)
        elif seen.system == "crm":
            diff = differences(seen, twin)
            if diff and not (
                reasons_for(seen, observed) or reasons_for(twin, observed)
            ):
                found.append(
                    Violation(
                        "i",
                        f"{seen.label} ⇄ {twin.label}",
                        f"synced fields differ (crm, qbo): {diff}",
                    )
                )
    return found


def gone_twin(
    seen: Seen, link: dict[str, Any], observed: Observed, deleted: set[Key]
) -> list[Violation]:
    """The linked record no longer exists: only a person's delete explains it,
    and then this side must show it (QBO: inactive, voided or closed)."""
    gone = twin_key(seen, link)
    if gone in deleted:
        if seen.system == "qbo" and seen.active:
            return [
                Violation(
                    "i",
                    seen.label,
                    f"its Zoho twin {gone[2]} was deleted but it is still active",
                )
            ]
        return []
    if gone in observed.deleted_qbo:
        return []
    return [
        Violation(
            "i",
            seen.label,
            f"linked ({link.get('state')}) to {gone[0]} {gone[1]} {gone[2]}, "
            "which does not exist and nobody deleted",
        )
    ]


# -- (ii) a person's value survives unless a person cleared it ---------------


def check_values_kept(observed: Observed, history: History) -> list[Violation]:
    found: list[Violation] = []
    people = person_keys(history)
    slot_key = {slot: key for key, slot in people.items()}
    for slot, names in history.set_fields.items():
        key = slot_key.get(slot)
        if key is None or slot in history.deleted or key not in observed.records:
            continue
        seen = observed.records[key]
        if seen.entity == "account":
            continue
        link = observed.link_of(seen)
        twin = None
        if link is not None and complete(link):
            twin = observed.records.get(twin_key(seen, link))
        twin_slot = people.get(twin.key) if twin else None
        cleared = history.cleared.get(slot, set()) | (
            history.cleared.get(twin_slot, set()) if twin_slot else set()
        )
        for name in sorted(names - cleared):
            if name not in SYNC_FIELDS.get(seen.kind, ()):
                continue
            sides = [s for s in (seen, twin) if s is not None and name in s.values]
            if sides and all(s.values[name] in EMPTY for s in sides):
                where = " and ".join(s.label for s in sides)
                found.append(
                    Violation(
                        "ii", seen.label, f"{name} set by a person, empty in {where}"
                    )
                )
    return found


# -- (iii) one-to-one, nothing twice ------------------------------------------


def identity(seen: Seen) -> str | None:
    record = seen.record or {}
    if seen.kind in ("contact", "vendor") and record.get("email"):
        return "email:" + str(record["email"]).strip().lower()
    if seen.kind in ("product", "vendor", "account") and record.get("name"):
        return "name:" + " ".join(str(record["name"]).lower().split())
    return None


def numbered_twin_of(seen: Seen, observed: Observed) -> str | None:
    """ "Name (2)" beside an active "Name" of the same person (same email)."""
    name = str(seen.raw.get("DisplayName") or "")
    if not DUPLICATE_NAME.search(name):
        return None
    plain = DUPLICATE_NAME.sub("", name).strip().lower()
    for other in observed.of(seen.system, seen.entity):
        if (
            other is not seen
            and str(other.raw.get("DisplayName") or "").strip().lower() == plain
            and identity(other) == identity(seen)
        ):
            return other.label
    return None


def check_one_to_one(
    observed: Observed, history: History, baseline: set[Key]
) -> list[Violation]:
    found: list[Violation] = []
    for id_key in ("crm_id", "qbo_id"):
        counts = Counter(
            (link["kind"], link[id_key]) for link in observed.links if link.get(id_key)
        )
        for (kind, record_id), n in counts.items():
            if n > 1:
                found.append(
                    Violation("iii", f"{kind} {id_key} {record_id}", f"{n} links")
                )
    people, deleted = person_keys(history), deleted_keys(history)
    groups: dict[tuple[str, str, str], list[Seen]] = defaultdict(list)
    for seen in observed.records.values():
        if seen.key in deleted or not seen.active:
            continue
        key = identity(seen)
        if key is not None:
            groups[seen.system, seen.entity, key].append(seen)
        if seen.key not in people and numbered_twin_of(seen, observed):
            found.append(
                Violation(
                    "iii",
                    seen.label,
                    f"a numbered duplicate of {numbered_twin_of(seen, observed)}",
                )
            )
        marker = MARKER.get(seen.entity) if seen.system == "crm" else None
        link = observed.link_of(seen)
        if marker and complete(link):
            assert link is not None
            if str(seen.raw.get(marker) or "") != str(link["qbo_id"]):
                found.append(
                    Violation(
                        "iii",
                        seen.label,
                        f"{marker} is {seen.raw.get(marker)!r}, link says "
                        f"{link['qbo_id']}",
                    )
                )
        if (
            in_scope(seen, baseline, history)
            and seen.key not in people
            and seen.key not in baseline
            and not complete(link)
            and not reasons_for(seen, observed)
        ):
            found.append(
                Violation("iii", seen.label, "created by the sync, linked to nothing")
            )
    for (system, entity, key), same in groups.items():
        # One the sync made beside one a person made twice is the person's
        # doing (refused with a reason); two the sync made are its own.
        made_by_sync = [s for s in same if s.key not in people]
        if len(made_by_sync) > 1:
            labels = ", ".join(s.label for s in same)
            found.append(
                Violation(
                    "iii",
                    f"{system} {entity} {key}",
                    f"{len(same)} records for one {key.split(':')[0]}: {labels}",
                )
            )
    return found


# -- (iv) quiet means quiet ---------------------------------------------------


def check_quiet(
    settled: bool, last: Sample, before: Sample, after: Sample
) -> list[Violation]:
    """``after`` holds the emptiest of a few samples: a scheduler round may
    be in flight at any one instant, but never at all of them."""
    found: list[Violation] = []
    if not settled:
        found.append(
            Violation(
                "iv",
                "system",
                f"never settled: busy queues {last.busy_queues}, Zoho pending "
                f"{last.zoho_pending}, writes {last.writes}, links {last.links}",
            )
        )
    if after.busy_queues:
        found.append(
            Violation("iv", "bus", f"left after quiescence: {after.busy_queues}")
        )
    if after.writes != before.writes:
        found.append(
            Violation(
                "iv",
                "APIs",
                f"writes (Zoho, QBO) went {before.writes} -> {after.writes} "
                "with nobody acting",
            )
        )
    return found


# -- (v) dead letters name their record, once ----------------------------------


def check_dead_letters(observed: Observed) -> list[Violation]:
    found: list[Violation] = []
    causes: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for dead in observed.dead_letters:
        named = [
            f for f in ("tenant", "system", "entity", "external_id") if dead.get(f)
        ]
        if len(named) < 4:
            found.append(
                Violation(
                    "v",
                    f"dead letter {dead['_id']}",
                    f"does not name its record ({dead.get('routing_key')}: "
                    f"{dead.get('reason')})",
                )
            )
        cause = (dead.get("system"), dead.get("entity"), dead.get("external_id"))
        causes[(*cause, dead.get("reason"))].append(
            f"{dead['_id']} ({dead.get('routing_key')}, {dead.get('first_failed_at')})"
        )
    for named_cause, copies in causes.items():
        if len(copies) > 1:
            found.append(
                Violation(
                    "v",
                    " ".join(str(part) for part in named_cause[:3]),
                    f"{len(copies)} open for {named_cause[3]!r}: {'; '.join(copies)}",
                )
            )
    return found


def check_all(
    observed: Observed,
    history: History,
    baseline: set[Key],
    quiet: tuple[bool, Sample, Sample, Sample],
) -> list[Violation]:
    return [
        *check_linked_or_listed(observed, history, baseline),
        *check_values_kept(observed, history),
        *check_one_to_one(observed, history, baseline),
        *check_quiet(*quiet),
        *check_dead_letters(observed),
    ]
