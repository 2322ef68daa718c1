"""``written.<system>.<entity>``: a gateway did (or could not do) our write."""

from __future__ import annotations

from common.errors import PermanentError
from common.messages import Envelope, WriteOutcome
from services.matcher.context import (
    DIRECTION,
    DOCUMENTS,
    OTHER,
    Context,
    Step,
    commit,
    entity_on,
    kind_of,
    redelivery,
)
from services.matcher.deletes import deletion_writes
from services.matcher.failures import fail, refuse, settled
from services.matcher.markers import synced_markers
from services.matcher.model import AuditEntry, Link, Parked
from services.matcher.outcomes import rolled_back
from services.matcher.pairs import sync_pair
from services.matcher.resume import resume_parked


async def on_written(ctx: Context) -> list[Envelope]:
    env = ctx.env
    if env.entity == "account":
        return []  # accounts are written by the crm-gateway on a contact's behalf
    await ctx.load_settings()
    outcome = WriteOutcome.model_validate(env.payload)
    kind = kind_of(env.system, env.entity)
    link = await ctx.repo.link_by_pending_key(
        ctx.tenant, env.system, outcome.idempotency_key
    )
    if link is None and not outcome.ok:
        return await _refused_again(ctx, kind, outcome)
    if link is None:
        return await _applied_already(ctx, kind)
    again = redelivery(ctx, link)
    if again is not None:
        return await _again(ctx, link, kind, again)
    pending = link.pending[env.system]
    rest = {s: p for s, p in link.pending.items() if s != env.system}
    if not outcome.ok:
        return await _failed(ctx, link, outcome, pending.create)
    if pending.create:
        link = await _created(ctx, link, kind)
    if outcome.linked_existing:
        # The create found the record already there and wrote nothing: what
        # we meant to create was never agreed. A first sync of two records
        # fills each side's gaps from the other and clears nothing.
        link = link.model_copy(update={"base": {}, "base_hash": None})
    link = link.model_copy(update={"pending": rest})
    out: list[Envelope] = []
    source = OTHER[env.system]
    gone = await _source_deleted(ctx, link, kind, source) if pending.create else False
    if gone:
        # Deleted while its create was in flight: what we made goes the same
        # way (and the deleted record gets no markers).
        deletion, action = await deletion_writes(ctx, link, source)
        link = link.model_copy(update={"state": "deleted"})
        audit = ctx.audit(
            kind,
            action,
            key=link.id,
            direction=DIRECTION[source],
            crm_id=link.crm_id,
            qbo_id=link.qbo_id,
            reason=f"{source.upper()} record deleted while it was being created",
        )
        await commit_link(ctx, link, deletion, [audit])
        return deletion
    if env.system == "qbo" and link.crm_id is not None:
        markers = synced_markers(kind, link.qbo_id or "", ctx.settings)
        if markers and any(link.markers.get(k) != v for k, v in markers.items()):
            out.append(ctx.markers_write(kind, link.crm_id, markers, link_id=link.id))
            link = link.model_copy(update={"markers": {**link.markers, **markers}})
    audits = [
        ctx.audit(
            kind,
            "created" if pending.create else "written",
            key=link.id,
            direction=DIRECTION[OTHER[env.system]],
            crm_id=link.crm_id,
            qbo_id=link.qbo_id,
            fields=sorted(pending.fields),
            after=pending.fields,
        )
    ]
    if pending.create:
        # The source may have changed while the create was in flight. Read
        # again here, not reused from _source_deleted: the later the read,
        # the rarer the race where a change saved before our commit makes
        # this commit lose (the change saves the creating link) and go again.
        mirror = await ctx.repo.mirror(
            ctx.tenant, source, entity_on(kind, source), link.id_on(source) or ""
        )
        target_known = not outcome.linked_existing or await _known(
            ctx, kind, env.system, env.external_id
        )
        if mirror is not None and mirror.record is not None and target_known:
            # (A found record we have not read yet is merged when its change
            # arrives: merging it unseen would write our gaps over its values.)
            step = await sync_pair(ctx, kind, source, mirror, link=link)
            if step.link is not None:
                link = step.link
            out += step.out
            audits += step.audits
    await commit_link(ctx, link, out, audits)
    if kind in DOCUMENTS:
        await _unpark_document(ctx, link)
    return out + await resume_parked(ctx, link)


async def _known(ctx: Context, kind: str, system: str, external_id: str | None) -> bool:
    if external_id is None:
        return False
    mirror = await ctx.repo.mirror(
        ctx.tenant, system, entity_on(kind, system), external_id
    )
    return mirror is not None and mirror.record is not None


async def _source_deleted(ctx: Context, link: Link, kind: str, source: str) -> bool:
    mirror = await ctx.repo.mirror(
        ctx.tenant, source, entity_on(kind, source), link.id_on(source) or ""
    )
    return mirror is not None and mirror.deleted


async def _applied_already(ctx: Context, kind: str) -> list[Envelope]:
    """No link waits for this write: a markers-only write, one superseded by
    a later write, or this very message delivered again after its link was
    committed (something after that commit failed, say a resume that lost a
    race). Finish what it started: its outbox again, and the resume."""
    env = ctx.env
    if env.external_id is None:
        return []
    link = await ctx.repo.link_of(ctx.tenant, kind, env.system, env.external_id)
    if link is None:
        return []
    again = redelivery(ctx, link)
    if again is not None:
        return await _again(ctx, link, kind, again)
    return await resume_parked(ctx, link)  # idempotent; cheap when none wait


async def _again(
    ctx: Context, link: Link, kind: str, replayed: list[Envelope]
) -> list[Envelope]:
    """The redelivery of the message that last committed ``link``: what it
    sent (``replayed``), and what came after its commit done again."""
    if kind in DOCUMENTS and link.complete:
        await _unpark_document(ctx, link)
    return replayed + await resume_parked(ctx, link)


async def commit_link(
    ctx: Context, link: Link, out: list[Envelope], audits: list[AuditEntry]
) -> None:
    await commit(ctx, Step(link=link, out=out, audits=audits))


async def _created(ctx: Context, link: Link, kind: str) -> Link:
    env = ctx.env
    source = OTHER[env.system]
    if env.external_id is None:
        # A gateway's defect, but a record of a person's waits on it: that
        # record is failed (named, decided again on its next change).
        reason = (
            f"{env.system.upper()} answered the {env.entity} create without "
            "the new record's id"
        )
        raise await _give_up(ctx, link, source, reason, create=True)
    clash = await ctx.repo.link_of(ctx.tenant, kind, env.system, env.external_id)
    if clash is not None and clash.id != link.id:
        if clash.id_on(source) is not None:
            # The gateway found our match already there, paired with another
            # record: nothing links, and the source is failed on its own
            # entry, so its next change, a force sync or a replay decides
            # it again (a link kept here would block every later decision).
            reason = (
                f"{env.system.upper()} {env.entity} {env.external_id} is linked "
                f"already to {source.upper()} {entity_on(kind, source)} "
                f"{clash.id_on(source)}"
            )
            raise await _give_up(ctx, link, source, reason, create=True)
        # Both sides created each other at once: the gateway's live re-check
        # found the same record, so one link is enough.
        await ctx.repo.delete_link(clash)
    # Still waiting for this write until the caller drops it (a failure
    # above must find the write it failed).
    return link.model_copy(
        update={f"{env.system}_id": env.external_id, "state": "linked"}
    )


async def _failed(
    ctx: Context, link: Link, outcome: WriteOutcome, create: bool
) -> list[Envelope]:
    env = ctx.env
    why = outcome.reason or outcome.error_class
    reason = f"{env.system.upper()} refused the {env.entity} write: {why}"
    raise await _give_up(ctx, link, OTHER[env.system], reason, create=create)


async def _give_up(
    ctx: Context, link: Link, source: str, reason: str, *, create: bool
) -> PermanentError:
    """The write towards ``ctx.env.system`` did not happen: the record it was
    made from is failed on its own entry (first: a retry after a lost race
    must find the link still waiting and come here again), the link forgets
    the write, and the error names that record."""
    env = ctx.env
    kind = link.kind
    source_id = link.id_on(source) or ""
    mirror = await ctx.repo.mirror(
        ctx.tenant, source, entity_on(kind, source), source_id
    )
    key = link.pending[env.system].key
    error = (
        await fail(ctx, mirror, reason, key)
        if mirror is not None
        else PermanentError(reason)
    )
    if create:
        await ctx.repo.delete_link(link)  # nothing paired: decided afresh
    else:
        await ctx.repo.save_link(rolled_back(link, env.system))
    await ctx.repo.record_audit(
        ctx.audit(
            kind,
            "failed",
            key=link.id,
            crm_id=link.crm_id,
            qbo_id=link.qbo_id,
            reason=reason,
        )
    )
    return error


async def _refused_again(
    ctx: Context, kind: str, outcome: WriteOutcome
) -> list[Envelope]:
    """A refused write's outcome once more, no link waiting for it: the
    replay of its dead letter (a person fixed the cause). The record it was
    made from is decided again, from its latest version."""
    env = ctx.env
    source = OTHER[env.system]
    mirror = await ctx.repo.mirror_by_failed_write(
        ctx.tenant, source, outcome.idempotency_key
    )
    if mirror is None or mirror.record is None or mirror.deleted:
        return await _applied_already(ctx, kind)
    try:
        step = await sync_pair(ctx, kind, source, mirror, forced=mirror.forced)
    except PermanentError as exc:
        raise await refuse(ctx, kind, mirror, exc.reason) from exc
    out = await commit(ctx, step)
    await settled(ctx, mirror)
    if step.link is not None:
        out += await resume_parked(ctx, step.link)
    return out


async def _unpark_document(ctx: Context, link: Link) -> None:
    for system in ("crm", "qbo"):
        own = link.id_on(system)
        if own is None:
            continue
        done = Parked(
            tenant=ctx.tenant,
            system=system,
            entity=entity_on(link.kind, system),
            external_id=own,
            waiting=[],
            since=ctx.now,
        )
        await ctx.repo.unpark(done)
