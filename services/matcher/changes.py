"""``change.<system>.<entity>``: a record changed (or was deleted) on one side."""

from __future__ import annotations

from typing import Any, Final

from common.errors import PermanentError
from common.matchkeys import match_keys
from common.messages import Envelope
from common.payloads import ChangePayload
from services.matcher.context import DOCUMENTS, Context, commit, kind_of
from services.matcher.deletes import on_deleted, on_voided
from services.matcher.failures import refuse
from services.matcher.markers import FETCH_PRODUCT_DETAILS
from services.matcher.model import AuditEntry, MirrorEntry, version_key
from services.matcher.outcomes import TO_DECIDE_AGAIN
from services.matcher.pairs import sync_pair
from services.matcher.resume import parked_entry, resume_parked, settle_parked

RECHECK: Final = "recheck"  # a fetch's source when the matcher asks for a re-read


async def on_change(ctx: Context) -> list[Envelope]:
    env = ctx.env
    assert env.external_id is not None, "change events carry the record id"
    kind = kind_of(env.system, env.entity) if env.entity != "account" else "account"
    current = await ctx.repo.mirror(ctx.tenant, env.system, env.entity, env.external_id)
    if _same_moment_other_content(current, env, ctx.event):
        return [_recheck(ctx)]
    if _stale(current, env, ctx.event):
        return []
    await ctx.load_settings()  # not before: a stale change needs none
    out = await _decide(ctx, kind, current)
    # Decided, not refused: whatever was dead-lettered about this record
    # (by the matcher, or by a gateway that could not read it) is over.
    await ctx.letters.close(ctx.tenant, env.system, env.entity, env.external_id)
    return out


async def _decide(
    ctx: Context, kind: str, current: MirrorEntry | None
) -> list[Envelope]:
    env = ctx.env
    assert env.external_id is not None
    if env.deleted:
        return await on_deleted(ctx, kind, current)
    record = env.record().model_dump(mode="json")
    primary, alt = match_keys(kind, record)
    forced = current.forced if current else False
    mirror = await ctx.repo.save_mirror(
        MirrorEntry(
            tenant=ctx.tenant,
            system=env.system,
            entity=env.entity,
            external_id=env.external_id,
            record=record,
            version=env.version,
            vkey=version_key(env.version),
            match_key=primary,
            alt_key=alt,
            account_id=record.get("account_id") if kind == "contact" else None,
            last_event=ctx.event,
            rev=current.rev if current else 0,
        )
    )
    if kind == "account":
        return await _account_changed(ctx, mirror)
    if kind == "product" and env.system == "crm" and record.get("fetch_requested"):
        return await _fetch_requested(ctx, mirror)
    if kind in DOCUMENTS and env.system == "qbo" and record.get("voided"):
        return await on_voided(ctx, kind, mirror)
    try:
        step = await sync_pair(ctx, kind, env.system, mirror, forced=forced)
    except PermanentError as exc:
        raise await refuse(ctx, kind, mirror, exc.reason) from exc
    if step.looked and step.seen is not None and not step.seen.complete:
        # Our create of this record is in flight: its catch-up (written.*)
        # syncs what this version changed, unless it read the mirror before
        # we saved it. Saving the link makes such a catch-up lose its commit
        # and go again, reading this version.
        await ctx.repo.save_link(step.seen)
    if forced and not step.audits and not step.replayed:
        step.audits.append(_forced_unchanged(ctx, kind, mirror))
    out = await commit(ctx, step)
    if step.went_again:
        await settle_parked(ctx, kind, parked_entry(ctx, mirror), step)
    link = step.link
    if link is None and kind in ("contact", "product"):
        # Nothing to save (an echo, say), but documents may still wait on it:
        # resuming is idempotent, and this makes any change of a dependency
        # (a redelivery, a forced re-read) finish what an earlier one missed.
        # The link as sync_pair read it will do: one completed since then is
        # resumed by whoever completed it, after its commit.
        link = (
            step.seen
            if step.looked
            else await ctx.repo.link_of(ctx.tenant, kind, env.system, env.external_id)
        )
    if link is not None:
        out += await resume_parked(ctx, link)
    return out


def _forced_unchanged(ctx: Context, kind: str, mirror: MirrorEntry) -> AuditEntry:
    """A force sync that found nothing to write (its pair's create still in
    flight, a pair retired, nothing carried) says so in the audit, so whoever
    asked for it (the console) can tell "unchanged" from "not decided yet"."""
    return ctx.audit(
        kind,
        "force_unchanged",
        key=mirror.id,
        reason="nothing to write",
        **{f"{mirror.system}_id": mirror.external_id},
    )


def _stale(current: MirrorEntry | None, env: Envelope, event: str) -> bool:
    """Older than applied, or the same version again (unless a redelivery of
    the message that applied it, a force sync, or a record refused or failed
    last time: a replay, or the same version read again after a person fixed
    the cause elsewhere, decides it again)."""
    if current is None or current.last_event == event or current.forced:
        return False
    if env.deleted:
        return current.deleted
    incoming = version_key(env.version)
    if incoming < current.vkey:
        return True
    if env.payload_as(ChangePayload).source == RECHECK:
        return False  # the record as it is now, read again at our request
    return incoming == current.vkey and current.state not in TO_DECIDE_AGAIN


def _same_moment_other_content(
    current: MirrorEntry | None, env: Envelope, event: str
) -> bool:
    """Zoho's Modified_Time has one-second resolution: two states of a record
    read within one second carry the same version, and which is newer cannot
    be told from the version. Taking either could keep the older one (and
    later write it back over a person's edit); dropping the second loses the
    newer one. So the record is read again (``_recheck``), and what that read
    returns — the record as it is now — is taken at the same version."""
    if current is None or current.record is None or env.deleted:
        return False
    if env.version is None or env.version.sequence is not None:
        return False  # QBO's SyncToken orders every state
    recheck = env.payload_as(ChangePayload).source == RECHECK
    if recheck or current.state in TO_DECIDE_AGAIN:
        return False
    if version_key(env.version) != current.vkey or current.last_event == str(
        env.event_id
    ):
        return False
    return env.record().model_dump(mode="json") != current.record


def _recheck(ctx: Context) -> Envelope:
    env = ctx.env
    assert env.external_id is not None
    return ctx.fetch(env.system, env.entity, env.external_id, source=RECHECK)


async def _account_changed(ctx: Context, account: MirrorEntry) -> list[Envelope]:
    """An account feeds the company fields of every customer linked to its contacts."""
    out: list[Envelope] = []
    for contact in await ctx.repo.contacts_of_account(ctx.tenant, account.external_id):
        if contact.record is None or contact.deleted:
            continue
        link = await ctx.repo.link_of(ctx.tenant, "contact", "crm", contact.external_id)
        if link is None:
            continue  # decided later, from the account as saved above
        if not link.complete:
            # Its create is in flight; the catch-up after it reads this
            # account, unless it read the account before we saved it. Saving
            # the link makes such a catch-up lose its commit and go again.
            await ctx.repo.save_link(link)
            continue
        at = max(contact.updated_at, account.updated_at)
        newer = (
            contact.model_copy(update={"version": account.version})
            if at == account.updated_at
            else contact
        )
        step = await sync_pair(ctx, "contact", "crm", newer, link=link)
        out += await commit(ctx, step)
    return out


async def _fetch_requested(ctx: Context, product: MirrorEntry) -> list[Envelope]:
    """The "Fetch Product Details" toggle: re-read the linked item from QBO and
    sync it over in full (or, unlinked, sync the product now); clear the box."""
    link = await ctx.repo.link_of(ctx.tenant, "product", "crm", product.external_id)
    clear = ctx.markers_write(
        "product",
        product.external_id,
        {FETCH_PRODUCT_DETAILS: None},
        link_id=product.id,
    )
    if link is None or link.qbo_id is None:
        step = await sync_pair(ctx, "product", "crm", product, forced=True, link=link)
        return [*await commit(ctx, step), clear]
    item = await ctx.repo.mirror(ctx.tenant, "qbo", "item", link.qbo_id)
    await ctx.repo.save_mirror(forced_entry(ctx, item, "qbo", "item", link.qbo_id))
    await ctx.repo.record_audit(
        ctx.audit(
            "product",
            "force_sync",
            key=product.id,
            direction="qbo→crm",
            crm_id=link.crm_id,
            qbo_id=link.qbo_id,
            reason="Fetch Product Details",
        )
    )
    return [ctx.fetch("qbo", "item", link.qbo_id), clear]


def forced_entry(
    ctx: Context,
    current: MirrorEntry | None,
    system: Any,
    entity: str,
    external_id: str,
) -> MirrorEntry:
    if current is not None:
        return current.model_copy(update={"forced": True})
    return MirrorEntry(
        tenant=ctx.tenant,
        system=system,
        entity=entity,
        external_id=external_id,
        forced=True,
    )
