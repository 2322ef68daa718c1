"""A record as the merge sees it: its synced values in sync space, the
fields not known yet, the dependencies it still misses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.messages import Envelope
from services.matcher.context import DOCUMENTS, Context
from services.matcher.fields import COMPANY, field_specs, project
from services.matcher.model import Link, MirrorEntry
from services.matcher.references import Dependency, dependencies, missing, translate


@dataclass
class View:
    values: dict[str, Any]
    at: str
    record: dict[str, Any]
    missing: list[Dependency] = field(default_factory=list)
    fetches: list[Envelope] = field(default_factory=list)


async def view_of(ctx: Context, kind: str, system: str, mirror: MirrorEntry) -> View:
    record = dict(mirror.record or {})
    unknown: frozenset[str] = frozenset()
    fetches: list[Envelope] = []
    if kind == "contact" and system == "crm":
        record, unknown, fetches = await _with_account(ctx, record)
    lacking: list[Dependency] = []
    if kind in DOCUMENTS:
        deps = dependencies(system, record)
        links = await dependency_links(ctx, deps)
        lacking = missing(deps, links)
        if not lacking:
            record = translate(record, system, "crm", links)
    specs = field_specs(kind, ctx.settings.mapping_for(kind))
    values = project(record, system, specs, unknown)
    return View(values, mirror.updated_at, record, lacking, fetches)


async def dependency_links(ctx: Context, deps: list[Dependency]) -> dict[str, Link]:
    found: dict[str, Link] = {}
    for kind in ("contact", "product"):
        wanted = [d for d in deps if d.kind == kind]
        if not wanted:
            continue
        system = wanted[0].system
        links = await ctx.repo.links_of(
            ctx.tenant, kind, system, [d.external_id for d in wanted]
        )
        found.update(
            {d.key: links[d.external_id] for d in wanted if d.external_id in links}
        )
    return found


async def _with_account(
    ctx: Context, contact: dict[str, Any]
) -> tuple[dict[str, Any], frozenset[str], list[Envelope]]:
    """Company fields of a CRM contact come from its account (mirror)."""
    account_id = contact.get("account_id")
    if not account_id:
        return contact, frozenset(), []
    account = await ctx.repo.mirror(ctx.tenant, "crm", "account", account_id)
    if account is None or account.record is None or account.deleted:
        return contact, frozenset(COMPANY), [ctx.fetch("crm", "account", account_id)]
    enriched = {
        **contact,
        "company_name": account.record.get("name"),
        "billing_address": account.record.get("billing_address"),
    }
    return enriched, frozenset(), []
