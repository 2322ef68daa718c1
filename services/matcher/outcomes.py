"""What a refusal, a refused write or a new decision leaves on the record a
person edited, and how that record is named: pure functions, no store."""

from __future__ import annotations

from common.subjects import Subject, label_of
from services.matcher.fields import values_hash
from services.matcher.model import Link, MirrorEntry

# States that a later change, a force sync or a replay decides again, even
# for the same version (a person may have fixed the cause elsewhere).
TO_DECIDE_AGAIN = ("refused", "failed")


def subject_of(mirror: MirrorEntry) -> Subject:
    return Subject(
        system=mirror.system,
        entity=mirror.entity,
        external_id=mirror.external_id,
        label=label_of(mirror.record),
    )


def refused(mirror: MirrorEntry, reason: str) -> MirrorEntry:
    """The matcher would not decide it (missing or shared match key...)."""
    return mirror.model_copy(
        update={"state": "refused", "reason": reason, "failed_write": None}
    )


def failed(mirror: MirrorEntry, reason: str, key: str) -> MirrorEntry:
    """The other side refused the write ``key`` made from it."""
    return mirror.model_copy(
        update={"state": "failed", "reason": reason, "failed_write": key}
    )


def cleared(mirror: MirrorEntry) -> MirrorEntry:
    """Decided again: whatever refused it before no longer stands."""
    return mirror.model_copy(
        update={"state": "seen", "reason": None, "failed_write": None}
    )


def rolled_back(link: Link, target: str) -> Link:
    """A refused update never reached ``target``: the agreed values of its
    fields are what they were before it, so the next decision sends it again
    (left at the refused values, the next change would read the target's
    untouched values as its edit and write them back over the person's)."""
    pending = link.pending.get(target)
    if pending is None:
        return link
    base = {**link.base, **pending.prior}
    rest = {side: p for side, p in link.pending.items() if side != target}
    return link.model_copy(
        update={"base": base, "base_hash": values_hash(base), "pending": rest}
    )
