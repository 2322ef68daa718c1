"""Three-way merge per field against the last agreed values (DESIGN §5 step 5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.connection_settings import ConflictPolicy

MISSING = object()


@dataclass(frozen=True)
class Side:
    system: str
    values: dict[str, Any]  # fields absent here are unknown: treated as unchanged
    at: str  # when this side's values were last changed (stored time)


@dataclass(frozen=True)
class Conflict:
    field: str
    base: Any
    crm: Any
    qbo: Any
    winner: str
    policy: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "base": self.base,
            "crm": self.crm,
            "qbo": self.qbo,
            "winner": self.winner,
            "policy": self.policy,
        }


@dataclass
class Merged:
    values: dict[str, Any]
    conflicts: list[Conflict] = field(default_factory=list)


def three_way(
    fields: list[str],
    base: dict[str, Any],
    mine: Side,
    theirs: Side,
    policy: ConflictPolicy,
) -> Merged:
    """A field changed on one side takes that side's value; changed on both to
    different values is a conflict the policy settles (latest change wins by
    default; ties go to the side whose change is being processed). A field a
    side does not carry is absent from its values: unchanged there, never a
    clear."""
    merged = Merged(values={})
    for name in fields:
        if not any(name in known for known in (base, mine.values, theirs.values)):
            continue  # no side carries it: nothing to agree on, nothing to clear
        was = base.get(name)
        ours = mine.values.get(name, was)
        their = theirs.values.get(name, was)
        if ours == their or their == was:
            merged.values[name] = ours
        elif ours == was:
            merged.values[name] = their
        else:
            winner = _winner(policy.winner_for(name), mine, theirs)
            merged.values[name] = ours if winner == mine.system else their
            crm, qbo = (ours, their) if mine.system == "crm" else (their, ours)
            merged.conflicts.append(
                Conflict(name, was, crm, qbo, winner, policy.winner_for(name))
            )
    return merged


def _winner(rule: str, mine: Side, theirs: Side) -> str:
    if rule == "crm_wins":
        return "crm"
    if rule == "qbo_wins":
        return "qbo"
    return theirs.system if theirs.at > mine.at else mine.system


def changed(target: dict[str, Any], merged: dict[str, Any]) -> dict[str, Any]:
    """The merged values ``target`` does not hold yet. A field ``target`` does
    not hold at all (neither agreed nor carried) needs no write to stay empty."""
    return {
        k: v
        for k, v in merged.items()
        if target.get(k, MISSING) != v and (k in target or v is not None)
    }
