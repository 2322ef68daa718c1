"""Building the write command for one side from merged sync-space values."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from common.entities import RECORD_TYPE
from common.errors import PermanentError
from common.matchkeys import match_keys, name_key
from common.messages import Envelope, WriteCommand
from common.synced_fields import NOT_CARRIED
from services.matcher.context import DOCUMENTS, Context, entity_on
from services.matcher.fields import (
    field_specs,
    paths_of,
    unknown_paths,
    unproject,
)
from services.matcher.markers import synced_markers
from services.matcher.model import Link, MirrorEntry
from services.matcher.references import dependencies, translate
from services.matcher.views import dependency_links

# Fields a create carries over from the source record beyond the synced ones.
TEMPLATE = {"contact": ("display_name",), "invoice": ("kind",), "quote": ("kind",)}


async def build_write(
    ctx: Context,
    link: Link,
    target: str,
    values: dict[str, Any],
    changed: list[str],
    *,
    key: str,
    current: MirrorEntry | None,
    source: dict[str, Any] | None = None,
    full: bool = False,
) -> Envelope:
    kind = link.kind
    entity = entity_on(kind, target)
    specs = field_specs(kind, ctx.settings.mapping_for(kind))
    create = link.id_on(target) is None
    if kind in DOCUMENTS and target == "qbo":
        links = await dependency_links(ctx, dependencies("crm", values))
        values = translate(values, "crm", "qbo", links)
    if current is not None and current.record is not None and not create:
        into = dict(current.record)
    else:
        into = {k: (source or {}).get(k) for k in TEMPLATE.get(kind, ())}
    record = unproject(values, target, specs, into)
    # What neither side has told us is not carried: the target's writer
    # leaves it alone instead of clearing it (a full write sends every field).
    record[NOT_CARRIED] = unknown_paths(values, target, specs)
    if target == "crm":
        record = await _crm_extras(ctx, kind, record, link, create)
    else:
        record.pop("account_id", None)
        record.pop("subject", None)
    record = _validated(target, entity, record)
    markers: dict[str, str | None] = {}
    if target == "crm" and link.qbo_id is not None:
        markers = synced_markers(kind, link.qbo_id, ctx.settings)
    # A create is re-checked live by its key, then by the alternative one
    # (a vendor without email is found by name).
    primary, alternative = match_keys(kind, record) if create else (None, None)
    command = WriteCommand(
        record=record,
        idempotency_key=key,
        fields=() if create or full else paths_of(changed, target, specs),
        match_key=primary,
        alt_match_key=alternative,
        base_sequence=current.version.sequence if current and current.version else None,
        markers=markers,
        deactivate=values.get("active") is False and "active" in changed,
    )
    return ctx.write(target, entity, link.id_on(target), command, key=link.id)


async def _crm_extras(
    ctx: Context, kind: str, record: dict[str, Any], link: Link, create: bool
) -> dict[str, Any]:
    if kind == "contact":
        # The account is found by company name in the mirror; when none is
        # known, account_id stays empty and the crm-gateway finds or creates
        # the account by company_name (a live lookup) before writing.
        company = name_key(record.get("company_name"))
        accounts = (
            await ctx.repo.mirrors_by_key(ctx.tenant, "crm", "account", company)
            if company
            else []
        )
        live = [a for a in accounts if not a.deleted]
        record["account_id"] = live[0].external_id if len(live) == 1 else None
    if kind in DOCUMENTS:
        contact = record.get("party_id")
        mirror = (
            await ctx.repo.mirror(ctx.tenant, "crm", "contact", contact)
            if contact
            else None
        )
        record["account_id"] = mirror.account_id if mirror else None
        record.pop("number", None)  # CRM numbers its documents itself
        if create and not record.get("subject"):
            label = "Invoice" if kind == "invoice" else "Estimate"
            record["subject"] = f"QuickBooks {label} {link.qbo_id}"
    return record


def _validated(system: str, entity: str, record: dict[str, Any]) -> dict[str, Any]:
    try:
        model = RECORD_TYPE[(system, entity)].model_validate(record)  # type: ignore[index]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise PermanentError(f"cannot write {system} {entity}: {problems}") from exc
    return model.model_dump(mode="json")
