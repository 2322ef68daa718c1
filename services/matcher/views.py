"""A record as the merge sees it: its synced values in sync space (the
fields it does not carry left out), the dependencies it still misses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.messages import Envelope
from common.synced_fields import COMPANY, NOT_CARRIED
from services.matcher.context import DOCUMENTS, Context
from services.matcher.fields import field_specs, project
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
    fetches: list[Envelope] = []
    if kind == "contact" and system == "crm":
        record, fetches = await _with_account(ctx, record)
    lacking: list[Dependency] = []
    if kind in DOCUMENTS:
        deps = dependencies(system, record)
        links = await dependency_links(ctx, deps)
        lacking = missing(deps, links)
        if not lacking:
            record = translate(record, system, "crm", links)
    specs = field_specs(kind, ctx.settings.mapping_for(kind))
    values = project(record, system, specs)
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


# A CRM contact's company fields and where its account keeps them.
FROM_ACCOUNT = {"company_name": "name", "billing_address": "billing_address"}


async def _with_account(
    ctx: Context, contact: dict[str, Any]
) -> tuple[dict[str, Any], list[Envelope]]:
    """Company fields of a CRM contact come from its account (mirror). A
    contact never carries them itself: with no account (or one not read yet)
    they stay unknown, so their absence never clears the customer's."""
    own = {*(contact.get(NOT_CARRIED) or ()), *COMPANY}
    account_id = contact.get("account_id")
    account = (
        await ctx.repo.mirror(ctx.tenant, "crm", "account", account_id)
        if account_id
        else None
    )
    if account is None or account.record is None or account.deleted:
        fetches = [ctx.fetch("crm", "account", account_id)] if account_id else []
        return {**contact, NOT_CARRIED: sorted(own)}, fetches
    unknown_there = set(account.record.get(NOT_CARRIED) or ())
    carried = {
        ours for ours, theirs in FROM_ACCOUNT.items() if theirs not in unknown_there
    }
    enriched = {
        **contact,
        **{ours: account.record.get(theirs) for ours, theirs in FROM_ACCOUNT.items()},
        NOT_CARRIED: sorted(own - carried),
    }
    return enriched, []
