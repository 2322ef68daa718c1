"""The sweep: a safety net under the event-driven path.

``command.<system>.*`` with payload ``{"action": "sweep"}`` (the scheduler
publishes one per active side of every connection on each tick). For the
documents parked on ``<system>`` and the writes towards ``<system>``:

a. a parked document whose dependencies are all linked now is resumed (the
   message that should have resumed it was lost or lost a race), and one
   whose own link is complete with nothing in flight is unparked;
b. the dependencies still missing ``refetch_after`` seconds after the park
   (doubling after each try, at most a day) are fetched again (not those
   already being created, nor those refused: a person must act on them);
c. a link still waiting for a write to ``<system>`` ``resend_after`` seconds
   after its outbox was stored gets that outbox published again, verbatim:
   the same event ids, so a gateway that already did the write drops the
   copy in its inbox, and one that never got it does it now (its
   idempotency key, the live match-key re-check and QBO's requestid still
   guard the create). Older than the gateways' inbox memory, nothing is
   re-sent (a stale update must not overwrite later edits): it is logged.
   While the queue that carries the write still holds writes, it is not
   re-sent, nor while the matcher's queue of its lane holds messages (its
   confirmation may wait there): it waits behind them, it is not lost (a
   10,000-record backfill paced by QBO's quota keeps writes queued for
   minutes; re-sending them each minute put thousands of copies on the
   bus). While the tenant's bulk queue towards ``<system>`` (or the
   matcher's bulk queue) holds messages, no write is re-sent and the
   links in flight are not even read (thousands, each minute); a lost
   write waits until that backfill's queue drains.

The command's ``refetch_after`` and ``resend_after`` (seconds,
``CommandPayload``) override the defaults below. The sweep is idempotent:
its redelivery sends the same fetches and outboxes again and replays what
its resumes wrote.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from common.inbox import INBOX_TTL_SECONDS
from common.messages import Envelope, Lane, WriteCommand
from common.payloads import CommandPayload
from common.store.times import from_stored, to_stored
from services.matcher.context import Context, replay
from services.matcher.model import Parked
from services.matcher.outcomes import TO_DECIDE_AGAIN
from services.matcher.references import Dependency, dependencies, missing
from services.matcher.resume import resume_all
from services.matcher.views import dependency_links

log = structlog.get_logger(__name__)

REFETCH_AFTER = 120.0  # seconds parked before its missing dependencies are re-read
RESEND_AFTER = 300.0  # seconds a write may stay unconfirmed before a re-send
REFETCH_CAP = 24 * 3600.0
RESEND_LIMIT = INBOX_TTL_SECONDS - 24 * 3600  # the gateways' inboxes still know it


async def sweep(ctx: Context, command: CommandPayload) -> list[Envelope]:
    system = ctx.env.system
    refetch_after = _or_default(command.refetch_after, REFETCH_AFTER)
    resend_after = _or_default(command.resend_after, RESEND_AFTER)
    out: list[Envelope] = []
    ready: list[Parked] = []
    for parked in await ctx.repo.parked_of(ctx.tenant, system):
        mirror = await ctx.repo.mirror(
            ctx.tenant, parked.system, parked.entity, parked.external_id
        )
        if mirror is None or mirror.record is None or mirror.deleted:
            await ctx.repo.unpark(parked)
            continue
        deps = dependencies(system, mirror.record)
        lacking = missing(deps, await dependency_links(ctx, deps))
        if not lacking:
            ready.append(parked)
        elif _refetch_due(ctx, parked, refetch_after):
            out += await _refetch(ctx, parked, lacking)
    out += await _resend(ctx, system, resend_after)
    resumed, lost = await resume_all(ctx, ready)
    if lost:  # the next sweep (or the resumes' own messages) finish them
        log.info("sweep_resume_lost_races", tenant=ctx.tenant, parked=lost)
    out += resumed
    log.info(
        "sweep_done",
        tenant=ctx.tenant,
        system=system,
        resumed=len(ready) - len(lost),
        emitted=len(out),
    )
    return _unique(out)


def _or_default(seconds: float | None, default: float) -> float:
    return default if seconds is None else seconds


def _ago(ctx: Context, seconds: float) -> str:
    return to_stored(from_stored(ctx.now) - timedelta(seconds=seconds))


def _refetch_due(ctx: Context, parked: Parked, after: float) -> bool:
    if parked.fetched_by == ctx.event:
        return True  # this sweep again: send the same fetches again
    wait = min(after * 2**parked.refetches, REFETCH_CAP)
    return max(parked.since, parked.fetched_at or "") < _ago(ctx, wait)


async def _refetch(
    ctx: Context, parked: Parked, lacking: list[Dependency]
) -> list[Envelope]:
    out: list[Envelope] = []
    for dep in lacking:
        if await ctx.repo.link_of(ctx.tenant, dep.kind, dep.system, dep.external_id):
            continue  # being created: (c) looks after its write
        seen = await ctx.repo.mirror(
            ctx.tenant, dep.system, dep.entity, dep.external_id
        )
        if seen is not None and seen.state in TO_DECIDE_AGAIN:
            continue  # a person must act (its reason is in the mirror and audit)
        out.append(ctx.fetch(dep.system, dep.entity, dep.external_id))
    if parked.fetched_by != ctx.event:
        await ctx.repo.update_parked(
            parked.id,
            {
                "fetched_at": ctx.now,
                "fetched_by": ctx.event,
                "refetches": parked.refetches + 1,
            },
        )
    return out


async def _resend(ctx: Context, system: str, after: float) -> list[Envelope]:
    due, too_old = _ago(ctx, after), _ago(ctx, RESEND_LIMIT)
    out: list[Envelope] = []
    backlog: dict[Lane, int] = {
        "bulk": await ctx.backlogs.waiting(system, ctx.tenant, "bulk")
    }
    if backlog["bulk"] > 0:
        # A backfill's writes are queued behind the API's quota, or their
        # confirmations behind the matcher's bulk work: thousands of its
        # links are old and in flight, and reading them every minute cost
        # the store seconds. Whatever was lost is re-sent once both drained.
        log.info("sweep_resend_waits_for_backlog", to=system, queued=backlog["bulk"])
        return out
    deferred = 0
    for link in await ctx.repo.links_in_flight(ctx.tenant, due):
        pending = link.pending.get(system)
        if link.state not in ("creating", "linked") or pending is None:
            continue
        if link.outbox is None:  # links_in_flight gives only old outboxes
            continue
        messages = replay(link.outbox)
        write = next((m for m in messages if _is_write(m, system, pending.key)), None)
        if write is None:
            log.warning(
                "sweep_write_not_in_outbox", link=link.id, key=pending.key, to=system
            )
            continue
        if write.lane not in backlog:
            backlog[write.lane] = await ctx.backlogs.waiting(
                system, ctx.tenant, write.lane
            )
        if backlog[write.lane] > 0:
            # Its queue still holds writes: this one waits behind them (a
            # backfill paced by the API's quota), it is not lost.
            deferred += 1
            continue
        if link.outbox.at and link.outbox.at < too_old:
            log.warning("sweep_write_too_old_to_resend", link=link.id, to=system)
            continue
        log.info("sweep_resend", link=link.id, to=system, state=link.state)
        out += messages
    if deferred:
        log.info("sweep_resend_deferred", to=system, writes=deferred, queued=backlog)
    return out


def _is_write(message: Envelope, system: str, key: str) -> bool:
    return (
        message.kind == "write"
        and message.system == system
        and message.payload_as(WriteCommand).idempotency_key == key
    )


def _unique(messages: list[Envelope]) -> list[Envelope]:
    seen: set[str] = set()
    out: list[Envelope] = []
    for message in messages:
        if str(message.event_id) not in seen:
            seen.add(str(message.event_id))
            out.append(message)
    return out
