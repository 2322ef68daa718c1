"""``command.<system>.<entity>``: an operator's or the scheduler's request.

Actions (``CommandPayload.action``, common/payloads.py; the consumer has
refused any other before this runs):

- ``force_sync`` (the console's "sync now"), ``external_id`` required: the
  record is marked forced in the mirror and re-read from its system
  (``fetch.*``); when that change arrives it is synced to the other side in
  full, even if nothing changed since the last sync.
- ``sweep`` (the scheduler, every tick, per tenant and active side; entity
  ``*``, no ``external_id``): the safety net under the event-driven path —
  parked documents of ``<system>`` whose dependencies are linked now are
  resumed, dependencies still missing after a while are fetched again, and
  writes to ``<system>`` unconfirmed for too long have their link's outbox
  published again. Optional ``refetch_after`` / ``resend_after`` (seconds).
  See ``services/matcher/sweep.py``.
"""

from __future__ import annotations

from typing import assert_never

from common.errors import PermanentError
from common.messages import Envelope
from common.payloads import CommandPayload
from services.matcher.changes import forced_entry
from services.matcher.context import Context, kind_of
from services.matcher.sweep import sweep


async def on_command(ctx: Context) -> list[Envelope]:
    command = ctx.env.payload_as(CommandPayload)
    if command.action == "sweep":
        await ctx.load_settings()
        return await sweep(ctx, command)
    if command.action == "force_sync":
        return await _force_sync(ctx)
    assert_never(command.action)


async def _force_sync(ctx: Context) -> list[Envelope]:
    env = ctx.env
    if not env.external_id or env.entity == "*":
        raise PermanentError("force_sync needs the record's entity and external_id")
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
