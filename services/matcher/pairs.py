"""Syncing one record with its counterpart: identity, echo, merge, writes."""

from __future__ import annotations

from typing import Any

from common.errors import PermanentError
from services.matcher import identity
from services.matcher.context import (
    DIRECTION,
    OTHER,
    Context,
    Step,
    entity_on,
    replay,
)
from services.matcher.fields import field_specs, values_hash
from services.matcher.matchkeys import match_keys
from services.matcher.merge import Side, changed, three_way
from services.matcher.model import Link, MirrorEntry, PendingWrite
from services.matcher.parking import park
from services.matcher.ports import StaleWrite
from services.matcher.views import View, view_of
from services.matcher.writes import build_write

REFUSED_BY_KEY = {"contact": "email", "product": "name", "vendor": "name"}
PARK_RECHECKS = 3  # park → linked meanwhile → decide again, at most this often


async def sync_pair(
    ctx: Context,
    kind: str,
    system: str,
    mirror: MirrorEntry,
    *,
    forced: bool = False,
    link: Link | None = None,
) -> Step:
    """Decide what ``mirror``'s latest version means for the other side."""
    given = link is not None
    if link is None:
        link = await ctx.repo.link_of(ctx.tenant, kind, system, mirror.external_id)
    if link is not None and link.outbox is not None and link.outbox.event == ctx.event:
        return Step(link=link, out=replay(link.outbox), replayed=True)
    went_again = False
    for _ in range(PARK_RECHECKS):
        view = await view_of(ctx, kind, system, mirror)
        if not view.missing:
            break
        parked = await park(ctx, kind, system, mirror, view.missing)
        if parked is not None:
            return parked
        # Its dependencies linked while it was being parked: decide again
        # now, with the document's link as it is now (a concurrent resume
        # may have written it meanwhile).
        if not given:
            link = await ctx.repo.link_of(ctx.tenant, kind, system, mirror.external_id)
        went_again = True
    else:
        raise StaleWrite(
            f"{mirror.entity} {mirror.external_id}: its dependencies keep "
            "changing while it is parked; going again"
        )
    step = await _decide(ctx, kind, system, mirror, view, forced, link)
    step.went_again = went_again
    return step


async def _decide(
    ctx: Context,
    kind: str,
    system: str,
    mirror: MirrorEntry,
    view: View,
    forced: bool,
    link: Link | None,
) -> Step:
    if link is not None and link.state == "failed" and not link.complete:
        # Stored before session 2 for a create that clashed: it pairs nothing
        # and would block this record forever ("in flight"). Decide afresh.
        await ctx.repo.delete_link(link)
        link = None
    if link is None:
        resolved = await _identify(ctx, kind, system, mirror, view)
        if not isinstance(resolved, Link):
            resolved.out[:0] = view.fetches
            return resolved
        link = resolved
    if link.state in ("deleted", "voided"):
        return Step(out=view.fetches)
    if not link.complete:
        # Our create is still in flight; the catch-up after its written.*
        # syncs whatever this version changed.
        return Step(out=view.fetches)
    step = await _reconcile(ctx, link, system, mirror, view, forced)
    step.out[:0] = view.fetches
    return step


async def _identify(
    ctx: Context, kind: str, system: str, mirror: MirrorEntry, view: View
) -> Link | Step:
    other = OTHER[system]
    other_entity = entity_on(kind, other)
    primary, alt = match_keys(kind, view.record)
    if primary is None and alt is None and kind in REFUSED_BY_KEY:
        raise PermanentError(f"missing {REFUSED_BY_KEY[kind]}")
    candidates: list[MirrorEntry] = []
    if primary is not None:
        candidates = await ctx.repo.mirrors_by_key(
            ctx.tenant, other, other_entity, primary
        )
    if not candidates and alt is not None:
        candidates = await ctx.repo.mirrors_by_key(
            ctx.tenant, other, other_entity, alt, alt=True
        )
    links = await ctx.repo.links_of(
        ctx.tenant, kind, other, [c.external_id for c in candidates]
    )
    decision = identity.resolve(system, candidates, links)
    key_text = primary or alt
    if isinstance(decision, identity.Ambiguous):
        raise PermanentError(
            f"{REFUSED_BY_KEY.get(kind, 'key')} {key_text} is shared by "
            f"{other.upper()} {other_entity}s {', '.join(decision.other_ids)}"
        )
    if (
        isinstance(decision, identity.Taken)
        and decision.linked_to == mirror.external_id
    ):
        raise StaleWrite(f"{system} {mirror.external_id} was linked concurrently")
    if isinstance(decision, identity.Taken):
        raise PermanentError(
            f"{other.upper()} {other_entity} {decision.other_id} matches on "
            f"{key_text} but is linked already to {system.upper()} "
            f"{entity_on(kind, system)} {decision.linked_to}"
        )
    if isinstance(decision, identity.Adopt):
        return _adopt(decision.link, system, mirror)
    if isinstance(decision, identity.LinkTo):
        ids = {f"{system}_id": mirror.external_id, f"{other}_id": decision.other_id}
        return Link(
            id=_link_id(ctx, kind, system, mirror), tenant=ctx.tenant, kind=kind, **ids
        )
    if view.record.get("active") is False:
        # Deleted (made inactive) before it was ever synced: there is nothing
        # to bring over, and a create would only make a record to retire.
        # Made active again, it is decided afresh.
        return Step()
    return await _create(ctx, kind, system, mirror, view)


def _adopt(link: Link, system: str, mirror: MirrorEntry) -> Link:
    """Their create towards us will find this record (the gateway's live
    re-check) and write nothing, so nothing is agreed yet: a first sync."""
    pending = dict(link.pending)
    if system in pending:
        pending[system] = PendingWrite(key=pending[system].key, create=True)
    return link.model_copy(
        update={
            f"{system}_id": mirror.external_id,
            "state": "linked",
            "base": {},
            "base_hash": None,
            "pending": pending,
        }
    )


def _link_id(ctx: Context, kind: str, system: str, mirror: MirrorEntry) -> str:
    return f"{ctx.tenant}|{kind}|{system}|{mirror.external_id}"


async def _create(
    ctx: Context, kind: str, system: str, mirror: MirrorEntry, view: View
) -> Step:
    other = OTHER[system]
    link = Link(
        id=_link_id(ctx, kind, system, mirror),
        tenant=ctx.tenant,
        kind=kind,
        state="creating",
        **{f"{system}_id": mirror.external_id},
    )
    key = ctx.idempotency_key(link.id, other)
    values = dict(view.values)
    command = await build_write(
        ctx,
        link,
        other,
        values,
        list(values),
        key=key,
        current=None,
        source=view.record,
    )
    pending = PendingWrite(key=key, create=True, fields=values, at=view.at)
    link = link.model_copy(
        update={
            "base": values,
            "base_hash": values_hash(values),
            "pending": {other: pending},
            "markers": command.payload.get("markers") or {},
        }
    )
    audit = ctx.audit(
        kind,
        "create",
        key=link.id,
        direction=DIRECTION[system],
        crm_id=link.crm_id,
        qbo_id=link.qbo_id,
        fields=sorted(values),
        after=values,
        reason=f"no {other.upper()} {entity_on(kind, other)} matches",
    )
    return Step(link=link, out=[command], audits=[audit])


async def _reconcile(
    ctx: Context,
    link: Link,
    system: str,
    mirror: MirrorEntry,
    view: View,
    forced: bool,
) -> Step:
    other = OTHER[system]
    kind = link.kind
    fields = [s.name for s in field_specs(kind, ctx.settings.mapping_for(kind))]
    to_me, to_them = link.pending.get(system), link.pending.get(other)
    mine_full = {**link.base, **view.values}
    if not forced and link.base_hash == values_hash(mine_full):
        return _echo(link, system)

    theirs_mirror = await ctx.repo.mirror(
        ctx.tenant, other, entity_on(kind, other), link.id_on(other) or ""
    )
    theirs_values: dict[str, Any] = {}
    theirs_at = ""
    if theirs_mirror is not None and theirs_mirror.record is not None:
        theirs_view = await view_of(ctx, kind, other, theirs_mirror)
        if not theirs_view.missing:
            theirs_values, theirs_at = theirs_view.values, theirs_view.at
    base = dict(link.base)
    if to_me is not None:  # they changed these; our write to us has not landed
        base.update(to_me.prior)
        theirs_values = {**theirs_values, **to_me.fields}
        theirs_at = max(theirs_at, to_me.at)
    if to_them is not None:
        theirs_values = {**theirs_values, **to_them.fields}

    conflicts: list[dict[str, Any]] = []
    if forced:
        merged = {**link.base, **theirs_values, **view.values}
    else:
        result = three_way(
            fields,
            base,
            Side(system, view.values, view.at),
            Side(other, theirs_values, theirs_at),
            ctx.settings.conflict,
        )
        merged = {**link.base, **result.values}
        conflicts = [c.as_dict() for c in result.conflicts]
    expected_mine = {**link.base, **view.values, **(to_me.fields if to_me else {})}
    expected_theirs = {**link.base, **theirs_values}
    for_them = merged if forced else changed(expected_theirs, merged)
    for_me = {} if forced else changed(expected_mine, merged)

    pending = {
        side: p.model_copy(update={"prior": {f: merged.get(f) for f in p.fields}})
        for side, p in link.pending.items()
    }
    out = []
    for target, values, at, current in (
        (other, for_them, view.at, theirs_mirror),
        (system, for_me, theirs_at, mirror),
    ):
        if not values:
            continue
        key = ctx.idempotency_key(link.id, target)
        out.append(
            await build_write(
                ctx,
                link,
                target,
                merged,
                sorted(values),
                key=key,
                current=current,
                source=view.record if target == other else None,
                full=forced,
            )
        )
        prior = {f: link.base.get(f) for f in values}
        pending[target] = PendingWrite(key=key, fields=values, prior=prior, at=at)
    markers = dict(link.markers)
    for command in out:
        if command.system == "crm":
            markers.update(command.payload.get("markers") or {})
    updated = link.model_copy(
        update={
            "base": merged,
            "base_hash": values_hash(merged),
            "pending": pending,
            "markers": markers,
            "state": "linked",
            "reason": None,
        }
    )
    audits = []
    if out or conflicts or link.rev == 0:
        audits.append(
            ctx.audit(
                kind,
                "link"
                if link.rev == 0 and not out
                else ("force_sync" if forced else "update"),
                key=link.id,
                direction=DIRECTION[system],
                crm_id=link.crm_id,
                qbo_id=link.qbo_id,
                fields=sorted({*for_them, *for_me}),
                before={f: expected_theirs.get(f) for f in for_them}
                | {f: expected_mine.get(f) for f in for_me},
                after={f: merged.get(f) for f in {*for_them, *for_me}},
                conflicts=conflicts,
            )
        )
    return Step(link=updated, out=out, audits=audits)


def _echo(link: Link, system: str) -> Step:
    """Our own write came back (or nothing synced changed): no further write."""
    if system not in link.pending:
        return Step()
    pending = {s: p for s, p in link.pending.items() if s != system}
    return Step(link=link.model_copy(update={"pending": pending}))
