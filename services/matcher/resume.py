"""Finishing parked documents once their dependencies link.

Any number of messages may resume the same parked document, at once or one
after another, and any of them may be delivered again: the written.* and
change.* of every dependency, their redeliveries, and the sweep. So a resume
is idempotent and retry-safe:

- the entry is never dropped because another message resumed it first; the
  document's link decides (its outbox replays for the message that wrote it,
  an in-flight create is left alone, a complete link with nothing pending
  means done and the entry goes);
- a lost compare-and-set (two resumes creating the same document's link) is
  retried here, against the winner's link, a few times; the other parked
  documents are still resumed, and only then is the race reported
  (``StaleWrite``: the bus delivers the message again, and the redelivery
  resumes again — replaying what this message wrote);
- a document the target cannot take (``PermanentError``) is refused on its
  own mirror entry, never by failing the dependency's message.
"""

from __future__ import annotations

import structlog

from common.errors import PermanentError
from common.messages import Envelope
from services.matcher.context import Context, Step, commit, entity_on, kind_of
from services.matcher.failures import refuse, settled
from services.matcher.model import Link, MirrorEntry, Parked
from services.matcher.pairs import sync_pair
from services.matcher.ports import StaleWrite

log = structlog.get_logger(__name__)

RACE_RETRIES = 3  # per parked document and message


async def resume_parked(ctx: Context, link: Link) -> list[Envelope]:
    """Resume every document waiting on ``link`` (a contact or product)."""
    if link.kind not in ("contact", "product") or not link.complete:
        return []
    keys = [
        f"{system}:{entity_on(link.kind, system)}:{link.id_on(system)}"
        for system in ("crm", "qbo")
    ]
    waiting = await ctx.repo.parked_waiting_on(ctx.tenant, keys)
    out, lost = await resume_all(ctx, waiting)
    if lost:
        raise StaleWrite(
            f"resuming {', '.join(lost)} kept losing to concurrent writes; going again"
        )
    return out


async def resume_all(
    ctx: Context, entries: list[Parked]
) -> tuple[list[Envelope], list[str]]:
    """Resume each entry (retrying a lost race against the winner's link);
    returns what to publish and the ids of the entries that kept losing."""
    out: list[Envelope] = []
    lost: list[str] = []
    for parked in entries:
        for _ in range(RACE_RETRIES):
            try:
                out += await resume_one(ctx, parked)
                break
            except StaleWrite as exc:
                log.debug("resume_race", parked=parked.id, error=str(exc))
        else:
            lost.append(parked.id)
    return out, lost


async def resume_one(ctx: Context, parked: Parked) -> list[Envelope]:
    mirror = await ctx.repo.mirror(
        ctx.tenant, parked.system, parked.entity, parked.external_id
    )
    if mirror is None or mirror.record is None or mirror.deleted:
        await ctx.repo.unpark(parked)
        return []
    kind = kind_of(parked.system, parked.entity)
    try:
        step = await sync_pair(ctx, kind, parked.system, mirror, forced=mirror.forced)
    except PermanentError as exc:
        # Refused on its own entry (``syncctl record`` shows why); its next
        # change or a force sync decides it again.
        await refuse(ctx, kind, mirror, exc.reason)
        await ctx.repo.unpark(parked)
        log.warning("resume_refused", parked=parked.id, reason=exc.reason)
        return []
    out = await commit(ctx, step)
    if not step.parked:
        await settle_parked(ctx, kind, parked, step)
        await settled(ctx, mirror)
    return out


async def settle_parked(ctx: Context, kind: str, parked: Parked, step: Step) -> None:
    """After a decision that did not park the document: drop its entry when
    nothing of it is in flight any more, else note who resumed it."""
    link = step.link
    if link is None:
        link = await ctx.repo.link_of(
            ctx.tenant, kind, parked.system, parked.external_id
        )
    if link is not None and (
        link.state in ("deleted", "voided") or (link.complete and not link.pending)
    ):
        await ctx.repo.unpark(parked)
    elif step.link is not None:
        # Kept until its own write is confirmed (written.* unparks it), so a
        # redelivery of this message finds it again and replays its outbox.
        await ctx.repo.update_parked(parked.id, {"resumed_by": ctx.event})


def parked_entry(ctx: Context, mirror: MirrorEntry) -> Parked:
    """The key of ``mirror``'s parked entry (enough to unpark or update it)."""
    return Parked(
        tenant=ctx.tenant,
        system=mirror.system,
        entity=mirror.entity,
        external_id=mirror.external_id,
        waiting=[],
        since=ctx.now,
    )
