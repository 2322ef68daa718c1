"""Deletes: CRM delete → QBO deactivate (accounting data is never hard-deleted);
QBO deactivate/delete → CRM; voided or deleted QBO transactions → CRM status."""

from __future__ import annotations

from typing import Any

from common.messages import Envelope, WriteCommand
from services.matcher.context import (
    DIRECTION,
    DOCUMENTS,
    OTHER,
    Context,
    entity_on,
    redelivery,
)
from services.matcher.fields import carrying
from services.matcher.markers import unsynced_markers
from services.matcher.model import Link, MirrorEntry, version_key


async def on_deleted(
    ctx: Context, kind: str, current: MirrorEntry | None
) -> list[Envelope]:
    env = ctx.env
    assert env.external_id is not None
    stub = current or MirrorEntry(
        tenant=ctx.tenant,
        system=env.system,
        entity=env.entity,
        external_id=env.external_id,
    )
    await ctx.repo.save_mirror(
        stub.model_copy(
            update={
                "deleted": True,
                "last_event": ctx.event,
                "vkey": version_key(env.version) if env.version else stub.vkey,
            }
        )
    )
    if kind == "account":
        return []
    link = await ctx.repo.link_of(ctx.tenant, kind, env.system, env.external_id)
    again = redelivery(ctx, link)
    if again is not None:
        return again
    if link is None or not link.complete or link.state in ("deleted", "voided"):
        return []
    if env.system == "qbo" and kind in DOCUMENTS:
        return await _crm_status(ctx, link, "deleted")
    return await _deactivate_other(ctx, link, env.system)


async def on_voided(ctx: Context, kind: str, mirror: MirrorEntry) -> list[Envelope]:
    link = await ctx.repo.link_of(ctx.tenant, kind, "qbo", mirror.external_id)
    again = redelivery(ctx, link)
    if again is not None:
        return again
    if link is None or not link.complete or link.state in ("deleted", "voided"):
        return []
    return await _crm_status(ctx, link, "voided")


async def _deactivate_other(ctx: Context, link: Link, system: str) -> list[Envelope]:
    out, action = await deletion_writes(ctx, link, system)
    return await _finish(ctx, link, "deleted", action, system, out)


async def deletion_writes(
    ctx: Context, link: Link, deleted_on: str
) -> tuple[list[Envelope], str]:
    """What the other side gets when ``deleted_on``'s record is gone: a
    deactivation (never a hard delete), or for a QBO transaction the CRM
    status; with the audit action's name."""
    if deleted_on == "qbo" and link.kind in DOCUMENTS:
        return await _crm_status_writes(ctx, link)
    target = OTHER[deleted_on]
    entity = entity_on(link.kind, target)
    their = await ctx.repo.mirror(ctx.tenant, target, entity, link.id_on(target) or "")
    record: dict[str, Any] = dict(their.record) if their and their.record else {}
    fields: tuple[str, ...] = ()
    if link.kind not in DOCUMENTS:
        record = carrying({**record, "active": False}, "active")
        fields = ("active",)
    command = WriteCommand(
        record=record,
        idempotency_key=ctx.idempotency_key(link.id, target),
        fields=fields,
        base_sequence=their.version.sequence if their and their.version else None,
        deactivate=True,
    )
    return [ctx.write(target, entity, link.id_on(target), command, key=link.id)], (
        "deactivate"
    )


async def _crm_status(ctx: Context, link: Link, why: str) -> list[Envelope]:
    out, action = await _crm_status_writes(ctx, link)
    return await _finish(ctx, link, why, action, "qbo", out)


async def _crm_status_writes(ctx: Context, link: Link) -> tuple[list[Envelope], str]:
    status = ctx.settings.void_status.get(link.kind)
    crm_id = link.crm_id or ""
    markers = unsynced_markers(link.kind)
    if status is None:
        return [ctx.markers_write(link.kind, crm_id, markers, link_id=link.id)], (
            f"status:{status}"
        )
    mirror = await ctx.repo.mirror(ctx.tenant, "crm", link.kind, crm_id)
    record = dict(mirror.record) if mirror and mirror.record else {}
    command = WriteCommand(
        record=carrying({**record, "status": status}, "status"),
        idempotency_key=ctx.idempotency_key(link.id, "crm"),
        fields=("status",),
        markers=markers,
    )
    out = [ctx.write("crm", link.kind, crm_id, command, key=link.id)]
    return out, f"status:{status}"


async def _finish(
    ctx: Context, link: Link, state: str, action: str, system: str, out: list[Envelope]
) -> list[Envelope]:
    await ctx.repo.save_link(
        link.model_copy(
            update={"state": state, "pending": {}, "outbox": ctx.outbox(out)}
        )
    )
    await ctx.repo.record_audit(
        ctx.audit(
            link.kind,
            action,
            key=link.id,
            direction=DIRECTION[system],
            crm_id=link.crm_id,
            qbo_id=link.qbo_id,
            reason=f"{system.upper()} record {state}",
        )
    )
    return out
