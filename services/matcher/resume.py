"""Finishing parked documents the moment their dependencies link."""

from __future__ import annotations

from common.messages import Envelope
from services.matcher.context import Context, commit, entity_on, kind_of
from services.matcher.model import Link
from services.matcher.pairs import sync_pair


async def resume_parked(ctx: Context, link: Link) -> list[Envelope]:
    if link.kind not in ("contact", "product") or not link.complete:
        return []
    keys = [
        f"{system}:{entity_on(link.kind, system)}:{link.id_on(system)}"
        for system in ("crm", "qbo")
    ]
    out: list[Envelope] = []
    for parked in await ctx.repo.parked_waiting_on(ctx.tenant, keys):
        if parked.resumed_by not in (None, ctx.event):
            await ctx.repo.unpark(parked)  # resumed by an earlier message
            continue
        mirror = await ctx.repo.mirror(
            ctx.tenant, parked.system, parked.entity, parked.external_id
        )
        if mirror is None or mirror.record is None or mirror.deleted:
            await ctx.repo.unpark(parked)
            continue
        kind = kind_of(parked.system, parked.entity)
        step = await sync_pair(ctx, kind, parked.system, mirror, forced=mirror.forced)
        out += await commit(ctx, step)
        if not step.parked:
            # Kept until its own write is confirmed, so a redelivery of this
            # message finds it again and replays the document's outbox.
            await ctx.repo.park(parked.model_copy(update={"resumed_by": ctx.event}))
    return out
