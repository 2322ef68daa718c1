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
    fields: list[str] = field(default_factory=list)
    direction: str | None = None

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
                list(decided.get("fields") or []),
                decided.get("direction"),
            )
    if decided is not None:
        return Outcome(
            "still running",
            "decided; waiting for the other side to confirm the write",
            list(decided.get("fields") or []),
            decided.get("direction"),
        )
    return None


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
    if outcome.reason and outcome.outcome != "written":
        said += f" ({outcome.reason})"
    return f"{said}; now {state_line}"
