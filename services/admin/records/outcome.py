"""What a force sync came to, read from what the matcher recorded after it
was requested (its audit entries, the record's mirror entry, its dead
letters).

The matcher marks the record forced, asks its gateway to read it again, and
decides the fresh read in full: a decision (``force_sync``, ``create``,
``update``), then the other side's confirmation (``written``/``created``)
or refusal (``failed``); ``refused`` when it cannot decide; ``parked`` when
the record waits on its contact or products; ``force_unchanged`` when it
found nothing to write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DECIDED_WRITE = ("force_sync", "create", "update")
CONFIRMED = ("written", "created")
Document = dict[str, Any]


@dataclass
class Outcome:
    outcome: str  # written | unchanged | refused | failed | waiting | still running
    reason: str = ""
    fields: list[str] = field(default_factory=list)  # the values sent
    direction: str | None = None
    changed: list[str] | None = None  # of those, the ones whose value changed

    @property
    def final(self) -> bool:
        return self.outcome != "still running"


def from_audit(entries: list[Document]) -> Outcome | None:
    """The outcome the pair's audit entries since the request show (oldest
    first), or None while nothing final is recorded yet."""
    decided: Document | None = None
    for entry in entries:
        action = entry.get("action")
        reason = str(entry.get("reason") or "")
        if action == "refused":
            return Outcome("refused", reason)
        if action == "failed":
            return Outcome("failed", reason)
        if action == "parked":
            return Outcome("waiting", reason)
        if action == "force_unchanged" or (
            action == "link" and not entry.get("fields")
        ):
            return Outcome("unchanged", reason or "nothing to write")
        if action in DECIDED_WRITE:
            decided = entry
        elif action in CONFIRMED and decided is not None:
            return Outcome(
                "written",
                "confirmed by the other side",
                *_sent_and_changed(decided),
            )
    if decided is not None:
        return Outcome(
            "still running",
            "decided; waiting for the other side to confirm the write",
            *_sent_and_changed(decided),
        )
    return None


def _sent_and_changed(decided: Document) -> tuple[list[str], str | None, list[str]]:
    """The fields the decision sent (a value the record does not carry is
    never sent, so an empty ``after`` is not one) and which of them changed."""
    before = decided.get("before") or {}
    after = decided.get("after") or {}
    names = list(decided.get("fields") or [])
    sent = [name for name in names if after.get(name) not in (None, "", {}, [])]
    changed = [name for name in sent if before.get(name) != after.get(name)]
    return sent, decided.get("direction"), changed


def from_letters(letters: list[Document], since: str) -> Outcome | None:
    """A dead letter about the record since the request (its gateway could
    not read it, say)."""
    for letter in letters:
        if str(letter.get("last_failed_at") or "") >= since:
            name = "refused" if letter.get("error_class") == "permanent" else "failed"
            return Outcome(name, str(letter.get("reason") or ""))
    return None


def message(outcome: Outcome, state_line: str) -> str:
    """One line a person reads."""
    said = outcome.outcome
    if outcome.fields:
        way = f" {outcome.direction}" if outcome.direction else ""
        said += f"{way}: {', '.join(outcome.fields)}"
        if outcome.changed is not None:
            changed = ", ".join(outcome.changed) or "none (the same values again)"
            said += f"; changed: {changed}"
    if outcome.reason and outcome.outcome != "written":
        said += f" ({outcome.reason})"
    return f"{said}; now {state_line}"
