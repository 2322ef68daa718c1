"""``command.<system>.<entity>``: an operator's request about one record.

Payload ``{"action": "force_sync"}`` (the console's "sync now"): the record
is marked forced in the mirror and re-read from its system (``fetch.*``);
when that change arrives it is synced to the other side in full, even if
nothing changed since the last sync.
"""

from __future__ import annotations

from common.errors import PermanentError
from common.messages import Envelope
from services.matcher.changes import forced_entry
from services.matcher.context import Context, kind_of

ACTIONS = ("force_sync",)


async def on_command(ctx: Context) -> list[Envelope]:
    env = ctx.env
    action = env.payload.get("action")
    if action not in ACTIONS:
        raise PermanentError(f"unknown command {action!r}; expected one of {ACTIONS}")
    if not env.external_id:
        raise PermanentError("force_sync needs the record's external_id")
    current = await ctx.repo.mirror(ctx.tenant, env.system, env.entity, env.external_id)
    if current is None or not current.forced:
        await ctx.repo.save_mirror(
            forced_entry(ctx, current, env.system, env.entity, env.external_id)
        )
    kind = kind_of(env.system, env.entity) if env.entity != "account" else "account"
    await ctx.repo.record_audit(
        ctx.audit(
            kind,
            "force_requested",
            key=f"{env.system}|{env.external_id}",
            **{f"{env.system}_id": env.external_id},
        )
    )
    return [ctx.fetch(env.system, env.entity, env.external_id)]
