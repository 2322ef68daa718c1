"""Documents waiting for their contact and products: parked, not failed."""

from __future__ import annotations

from services.matcher.context import Context, Step
from services.matcher.model import MirrorEntry, Parked
from services.matcher.references import Dependency, missing
from services.matcher.views import dependency_links


async def park(
    ctx: Context, kind: str, system: str, mirror: MirrorEntry, lacking: list[Dependency]
) -> Step | None:
    """Park the document and request every missing dependency not yet in flight.

    Returns None when every dependency turned out linked once the entry was
    stored: the link completed after our look and before this park, so its
    resume scan may have missed us; the caller decides the document again
    in the same message (never a raise: on the resume path that would abort
    the whole ``written.*`` handler after its own link was committed).
    """
    await ctx.repo.park(
        Parked(
            tenant=ctx.tenant,
            system=mirror.system,
            entity=mirror.entity,
            external_id=mirror.external_id,
            waiting=[d.key for d in lacking],
            since=ctx.now,
        )
    )
    if not missing(lacking, await dependency_links(ctx, lacking)):
        return None
    out = []
    for dep in lacking:
        in_flight = await ctx.repo.link_of(
            ctx.tenant, dep.kind, dep.system, dep.external_id
        )
        if in_flight is None:
            out.append(ctx.fetch(dep.system, dep.entity, dep.external_id))
    reason = "waiting for " + ", ".join(f"{d.entity} {d.external_id}" for d in lacking)
    audit = ctx.audit(
        kind,
        "parked",
        key=mirror.id,
        **{f"{system}_id": mirror.external_id},
        reason=reason,
    )
    return Step(out=out, audits=[audit], parked=True)
