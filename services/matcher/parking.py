"""Documents waiting for their contact and products: parked, not failed."""

from __future__ import annotations

from common.errors import RetriableError
from services.matcher.context import Context, Step
from services.matcher.model import MirrorEntry, Parked
from services.matcher.references import Dependency, missing
from services.matcher.views import dependency_links


async def park(
    ctx: Context, kind: str, system: str, mirror: MirrorEntry, lacking: list[Dependency]
) -> Step:
    """Park the document and request every missing dependency not yet in flight."""
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
    # The link may have completed after our look and before this park was
    # stored; its resume scan would then have missed us. Look again: if
    # nothing is lacking now, run the document again (the bus retries it).
    if not missing(lacking, await dependency_links(ctx, lacking)):
        raise RetriableError(
            f"{mirror.entity} {mirror.external_id}: its dependencies linked while "
            "it was being parked; going again"
        )
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
