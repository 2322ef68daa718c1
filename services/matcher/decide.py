"""Deciding what one record's change means for its counterpart: pure
functions over plain values (no store, no bus, no awaits).

``pairs.py`` does what they decide: it reads the link and the mirrors, calls
these, builds the write commands (``writes.build_write``) and commits. What
is decided here:

- ``obsolete`` / ``waiting``: whether a link is to be dropped or left alone;
- ``missing_key``, ``matched``: what a record without a link pairs with
  (or why it cannot be decided);
- ``create``: the link, agreed values and write of a record nobody matches;
- ``echo``, ``reconcile``: for a linked pair, whether the change is our own
  write coming back, else the three-way merge against the agreed values and
  which fields go to which side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.connection_settings import ConnectionSettings
from common.errors import PermanentError
from services.matcher import identity
from services.matcher.context import DIRECTION, OTHER, entity_on
from services.matcher.fields import field_specs, values_hash
from services.matcher.merge import Conflict, Side, changed, three_way
from services.matcher.model import Link, PendingWrite
from services.matcher.ports import StaleWrite

# The match key a record of these kinds cannot be decided without.
REFUSED_BY_KEY = {"contact": "email", "product": "name", "vendor": "name"}


@dataclass(frozen=True)
class Write:
    """The fields going to ``target``, with their agreed values."""

    target: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class Audit:
    """What the audit entry of a decision says (the doer adds the ids)."""

    action: str  # create | link | update | force_sync
    direction: str
    fields: list[str]
    after: dict[str, Any]
    before: dict[str, Any] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True)
class Decision:
    """What a change of one record means for its pair.

    ``link``: the link to save (its ``base`` are the agreed values every
    write is made from, its ``pending`` already waits for ``writes``); None
    when nothing is to be saved. ``writes``: which fields go to which side,
    in the order they are sent. ``full``: the writes carry every field (a
    force sync). ``echo``: the change was our own write coming back, or
    changed nothing synced.
    """

    link: Link | None
    writes: tuple[Write, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    audit: Audit | None = None
    full: bool = False
    echo: bool = False


# -- a link's state ------------------------------------------------------------


def obsolete(link: Link) -> bool:
    """Stored ``failed`` with one side only (before session 2, for a create
    that clashed): it pairs nothing and would block its record forever (it
    looks "in flight"), so it is dropped and the record decided afresh."""
    return link.state == "failed" and not link.complete


def waiting(link: Link) -> bool:
    """Nothing to merge: the pair is retired (deleted, voided), or our create
    is still in flight (the catch-up after its ``written.*`` syncs whatever
    this version changed)."""
    return link.state in ("deleted", "voided") or not link.complete


# -- a record without a link -----------------------------------------------------


def link_id(tenant: str, kind: str, system: str, external_id: str) -> str:
    return f"{tenant}|{kind}|{system}|{external_id}"


def missing_key(kind: str, primary: str | None, alt: str | None) -> str | None:
    """Why a record cannot be matched at all (contacts without an email,
    products and vendors without a name), else None."""
    if primary is None and alt is None and kind in REFUSED_BY_KEY:
        return f"missing {REFUSED_BY_KEY[kind]}"
    return None


def matched(
    tenant: str,
    kind: str,
    system: str,
    external_id: str,
    resolution: identity.Resolution,
    *,
    key: str | None,
) -> Link | None:
    """What ``system``'s record ``external_id`` (match key ``key``) pairs
    with, given the identity resolution of its candidates: a new link to its
    one match, the link of a create of ours it turns out to be (adopted), or
    None when nothing matches (``create`` decides). Raises ``PermanentError``
    when the key is shared or its match is linked to another record, and
    ``StaleWrite`` when it was linked to this very record meanwhile."""
    other = OTHER[system]
    other_entity = entity_on(kind, other)
    if isinstance(resolution, identity.Ambiguous):
        raise PermanentError(
            f"{REFUSED_BY_KEY.get(kind, 'key')} {key} is shared by "
            f"{other.upper()} {other_entity}s {', '.join(resolution.other_ids)}"
        )
    if isinstance(resolution, identity.Taken):
        if resolution.linked_to == external_id:
            raise StaleWrite(f"{system} {external_id} was linked concurrently")
        raise PermanentError(
            f"{other.upper()} {other_entity} {resolution.other_id} matches on "
            f"{key} but is linked already to {system.upper()} "
            f"{entity_on(kind, system)} {resolution.linked_to}"
        )
    if isinstance(resolution, identity.Adopt):
        return adopted(resolution.link, system, external_id)
    if isinstance(resolution, identity.LinkTo):
        ids = {f"{system}_id": external_id, f"{other}_id": resolution.other_id}
        return Link(
            id=link_id(tenant, kind, system, external_id),
            tenant=tenant,
            kind=kind,
            **ids,
        )
    return None


def adopted(link: Link, system: str, external_id: str) -> Link:
    """Their create towards us will find this record (the gateway's live
    re-check) and write nothing, so nothing is agreed yet: a first sync."""
    pending = dict(link.pending)
    if system in pending:
        pending[system] = PendingWrite(key=pending[system].key, create=True)
    return link.model_copy(
        update={
            f"{system}_id": external_id,
            "state": "linked",
            "base": {},
            "base_hash": None,
            "pending": pending,
        }
    )


def create(
    tenant: str,
    kind: str,
    external_id: str,
    mine: Side,
    *,
    active: Any,
    key: str,
) -> Decision:
    """Nothing matches ``mine.system``'s record: it is created on the other
    side with every value it carries (``key``: the create's idempotency key),
    unless it is inactive (deleted before it was ever synced: a create would
    only make a record to retire; made active again, it is decided afresh)."""
    if active is False:
        return Decision(link=None)
    system, other = mine.system, OTHER[mine.system]
    values = dict(mine.values)
    link = Link(
        id=link_id(tenant, kind, system, external_id),
        tenant=tenant,
        kind=kind,
        state="creating",
        base=values,
        base_hash=values_hash(values),
        pending={other: PendingWrite(key=key, create=True, fields=values, at=mine.at)},
        **{f"{system}_id": external_id},
    )
    audit = Audit(
        action="create",
        direction=DIRECTION[system],
        fields=sorted(values),
        after=values,
        reason=f"no {other.upper()} {entity_on(kind, other)} matches",
    )
    return Decision(link=link, writes=(Write(other, values),), audit=audit)


# -- a linked pair ----------------------------------------------------------------


def echo(link: Link, mine: Side, *, forced: bool) -> Decision | None:
    """The change is our own write coming back (or changed nothing synced):
    its projection, over the agreed values, hashes to the agreed hash. The
    write to that side is then confirmed; nothing is written. None if not
    an echo (a force sync never is)."""
    if forced or link.base_hash != values_hash({**link.base, **mine.values}):
        return None
    if mine.system not in link.pending:
        return Decision(link=None, echo=True)
    pending = {s: p for s, p in link.pending.items() if s != mine.system}
    return Decision(link=link.model_copy(update={"pending": pending}), echo=True)


def reconcile(
    link: Link,
    mine: Side,
    theirs: Side,
    settings: ConnectionSettings,
    *,
    forced: bool,
    keys: Mapping[str, str],
) -> Decision:
    """Merge ``mine`` (the side that changed) with ``theirs`` (the other
    side's values as last read; empty when not read yet) against the link's
    agreed values, field by field.

    A write not yet confirmed counts as the values of the side that asked
    for it: ours towards ``mine`` is their change ``mine`` has not seen (an
    edit made meanwhile is a conflict), ours towards them is what they will
    hold. Each side gets the merged values it does not hold yet; a forced
    sync sends ``mine`` over in full and writes nothing back. ``keys``: the
    idempotency key of a write to each side."""
    echoed = echo(link, mine, forced=forced)
    if echoed is not None:
        return echoed
    system, other = mine.system, OTHER[mine.system]
    kind = link.kind
    to_me, to_them = link.pending.get(system), link.pending.get(other)
    base = dict(link.base)
    theirs_values, theirs_at = theirs.values, theirs.at
    if to_me is not None:  # they changed these; our write to us has not landed
        base.update(to_me.prior)
        theirs_values = {**theirs_values, **to_me.fields}
        theirs_at = max(theirs_at, to_me.at)
    if to_them is not None:
        theirs_values = {**theirs_values, **to_them.fields}

    conflicts: tuple[Conflict, ...] = ()
    if forced:
        merged = {**link.base, **theirs_values, **mine.values}
    else:
        fields = [s.name for s in field_specs(kind, settings.mapping_for(kind))]
        result = three_way(
            fields,
            base,
            mine,
            Side(other, theirs_values, theirs_at),
            settings.conflict,
        )
        merged = {**link.base, **result.values}
        conflicts = tuple(result.conflicts)
    expected_mine = {**link.base, **mine.values, **(to_me.fields if to_me else {})}
    expected_theirs = {**link.base, **theirs_values}
    for_them = merged if forced else changed(expected_theirs, merged)
    for_me = {} if forced else changed(expected_mine, merged)

    pending = {
        side: p.model_copy(update={"prior": {f: merged.get(f) for f in p.fields}})
        for side, p in link.pending.items()
    }
    writes: list[Write] = []
    for target, values, at in ((other, for_them, mine.at), (system, for_me, theirs_at)):
        if not values:
            continue
        writes.append(Write(target, values))
        prior = {f: link.base.get(f) for f in values}
        pending[target] = PendingWrite(
            key=keys[target], fields=values, prior=prior, at=at
        )
    updated = link.model_copy(
        update={
            "base": merged,
            "base_hash": values_hash(merged),
            "pending": pending,
            "state": "linked",
            "reason": None,
        }
    )
    audit = None
    if writes or conflicts or link.rev == 0:
        audit = Audit(
            action="link"
            if link.rev == 0 and not writes
            else ("force_sync" if forced else "update"),
            direction=DIRECTION[system],
            fields=sorted({*for_them, *for_me}),
            before={f: expected_theirs.get(f) for f in for_them}
            | {f: expected_mine.get(f) for f in for_me},
            after={f: merged.get(f) for f in {*for_them, *for_me}},
            conflicts=[c.as_dict() for c in conflicts],
        )
    return Decision(
        link=updated,
        writes=tuple(writes),
        conflicts=conflicts,
        audit=audit,
        full=forced,
    )
