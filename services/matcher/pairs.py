"""Syncing one record with its counterpart: the doing. ``decide.py`` says
what to write where; this reads what it needs (the link, the mirrors, the
match candidates), builds the write commands and hands back the ``Step``
to commit."""

from __future__ import annotations

from typing import Any

from common.errors import PermanentError
from common.matchkeys import match_keys
from common.messages import WriteCommand
from services.matcher import decide, identity
from services.matcher.context import OTHER, Context, Step, entity_on, redelivery
from services.matcher.merge import Side
from services.matcher.model import Link, MirrorEntry
from services.matcher.parking import park
from services.matcher.ports import StaleWrite
from services.matcher.views import View, view_of
from services.matcher.writes import build_write

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
    again = redelivery(ctx, link)
    if again is not None:
        return Step(link=link, out=again, replayed=True)
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
    if step.link is None and not given:
        # The link as read above (read again after a park), unless _decide
        # deleted it as obsolete.
        step.looked = True
        step.seen = None if link is None or decide.obsolete(link) else link
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
    if link is not None and decide.obsolete(link):
        await ctx.repo.delete_link(link)
        link = None
    if link is None:
        resolved = await _identify(ctx, kind, system, mirror, view)
        if not isinstance(resolved, Link):
            resolved.out[:0] = view.fetches
            return resolved
        link = resolved
    if decide.waiting(link):
        return Step(out=view.fetches)
    step = await _reconcile(ctx, link, system, mirror, view, forced)
    step.out[:0] = view.fetches
    return step


async def _identify(
    ctx: Context, kind: str, system: str, mirror: MirrorEntry, view: View
) -> Link | Step:
    """A record without a link: find its match on the other side (the
    mirror's match keys), then pair with it or create it there."""
    other = OTHER[system]
    other_entity = entity_on(kind, other)
    primary, alt = match_keys(kind, view.record)
    refusal = decide.missing_key(kind, primary, alt)
    if refusal is not None:
        raise PermanentError(refusal)
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
    resolution = identity.resolve(system, candidates, links)
    found = decide.matched(
        ctx.tenant, kind, system, mirror.external_id, resolution, key=primary or alt
    )
    if found is not None:
        return found
    new_id = decide.link_id(ctx.tenant, kind, system, mirror.external_id)
    decision = decide.create(
        ctx.tenant,
        kind,
        mirror.external_id,
        Side(system, view.values, view.at),
        active=view.record.get("active"),
        key=ctx.idempotency_key(new_id, other),
    )
    return await _carry_out(ctx, decision, mirror, None, view.record)


async def _reconcile(
    ctx: Context,
    link: Link,
    system: str,
    mirror: MirrorEntry,
    view: View,
    forced: bool,
) -> Step:
    """A linked pair: merge this side's change with the other side's values."""
    mine = Side(system, view.values, view.at)
    echoed = decide.echo(link, mine, forced=forced)
    if echoed is not None:  # decided without reading the other side
        return await _carry_out(ctx, echoed, mirror, None, view.record)
    other = OTHER[system]
    theirs_mirror = await ctx.repo.mirror(
        ctx.tenant, other, entity_on(link.kind, other), link.id_on(other) or ""
    )
    theirs = Side(other, {}, "")
    if theirs_mirror is not None and theirs_mirror.record is not None:
        theirs_view = await view_of(ctx, link.kind, other, theirs_mirror)
        if not theirs_view.missing:
            theirs = Side(other, theirs_view.values, theirs_view.at)
    decision = decide.reconcile(
        link,
        mine,
        theirs,
        ctx.settings,
        forced=forced,
        keys={side: ctx.idempotency_key(link.id, side) for side in ("crm", "qbo")},
    )
    return await _carry_out(ctx, decision, mirror, theirs_mirror, view.record)


async def _carry_out(
    ctx: Context,
    decision: decide.Decision,
    mine: MirrorEntry,
    theirs: MirrorEntry | None,
    source: dict[str, Any],
) -> Step:
    """The write commands a decision asks for (made from the agreed values,
    each side's current record as the one to update), the CRM markers they
    set kept on the link, and its audit entry. ``source``: the changed
    record (a create on the other side takes its template fields)."""
    link = decision.link
    if link is None:
        return Step()
    out = []
    markers = dict(link.markers)
    for write in decision.writes:
        towards_them = write.target != mine.system
        command = await build_write(
            ctx,
            link,
            write.target,
            link.base,
            sorted(write.fields),
            key=link.pending[write.target].key,
            current=theirs if towards_them else mine,
            source=source if towards_them else None,
            full=decision.full,
        )
        out.append(command)
        if command.system == "crm":
            markers.update(command.payload_as(WriteCommand).markers)
    if out:
        link = link.model_copy(update={"markers": markers})
    audits = []
    if decision.audit is not None:
        facts = decision.audit
        audits.append(
            ctx.audit(
                link.kind,
                facts.action,
                key=link.id,
                direction=facts.direction,
                crm_id=link.crm_id,
                qbo_id=link.qbo_id,
                fields=facts.fields,
                before=facts.before,
                after=facts.after,
                conflicts=facts.conflicts,
                reason=facts.reason,
            )
        )
    return Step(link=link, out=out, audits=audits)
