"""Recording that a record cannot be synced, on its own mirror entry (where
``syncctl record`` reads it) and in the audit; the error handed back names
the record (its dead letter's subject) so a person finds what they edited."""

from __future__ import annotations

from common.errors import PermanentError
from services.matcher import outcomes
from services.matcher.context import Context
from services.matcher.model import MirrorEntry


async def refuse(
    ctx: Context, kind: str, mirror: MirrorEntry, reason: str
) -> PermanentError:
    """The matcher will not decide ``mirror``'s record: a person must act."""
    current = await _current(ctx, mirror)
    await ctx.repo.save_mirror(outcomes.refused(current, reason))
    await ctx.repo.record_audit(
        ctx.audit(
            kind,
            "refused",
            key=mirror.id,
            reason=reason,
            **{f"{mirror.system}_id": mirror.external_id},
        )
    )
    return PermanentError(reason, subject=outcomes.subject_of(current))


async def fail(
    ctx: Context, mirror: MirrorEntry, reason: str, write_key: str
) -> PermanentError:
    """The other side refused the write ``write_key`` made from ``mirror``."""
    current = await _current(ctx, mirror)
    await ctx.repo.save_mirror(outcomes.failed(current, reason, write_key))
    return PermanentError(reason, subject=outcomes.subject_of(current))


async def _current(ctx: Context, mirror: MirrorEntry) -> MirrorEntry:
    found = await ctx.repo.mirror(
        ctx.tenant, mirror.system, mirror.entity, mirror.external_id
    )
    return found if found is not None else mirror


async def settled(ctx: Context, mirror: MirrorEntry) -> None:
    """``mirror``'s record was decided: its dead letters close, and a
    refusal or failure left on it is cleared."""
    if mirror.state in outcomes.TO_DECIDE_AGAIN:
        current = await _current(ctx, mirror)
        if current.state in outcomes.TO_DECIDE_AGAIN:
            await ctx.repo.save_mirror(outcomes.cleared(current))
    await ctx.letters.close(
        ctx.tenant, mirror.system, mirror.entity, mirror.external_id
    )
