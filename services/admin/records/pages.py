"""The Records pages: a search, and one record with both sides, its
history, its dead letters and a Force sync button."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from services.admin.console import CONSOLE
from services.admin.http import params
from services.admin.http.errors import BadRequest
from services.admin.records import lookup, ops
from services.admin.records.api import DEFAULT_WAIT
from services.admin.web.render import render


def shown(value: Any) -> str:
    """A value as a cell shows it: nothing is a dash, structures are JSON."""
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def record_path(system: str, entity: str, external_id: str, tenant: str) -> str:
    place = "/".join(quote(part, safe="") for part in (system, entity, external_id))
    return f"/ui/records/{place}?{urlencode({'tenant': tenant})}"


async def search(request: web.Request) -> web.Response:
    form = {
        "tenant": params.text(request, "tenant"),
        "q": params.text(request, "q").strip(),
        "system": params.choice(request, "system", params.SYSTEMS),
        "state": params.choice(request, "state", lookup.STATES),
    }
    found: dict[str, Any] | None = None
    problem = ""
    status = 200
    if form["q"] or form["state"]:
        try:
            found = await ops.find(
                request.app[CONSOLE],
                tenant=form["tenant"],
                q=form["q"],
                system=form["system"],
                state=form["state"],
                limit=50,
            )
        except BadRequest as exc:
            problem, status = str(exc), 400
    tenant = (found or {}).get("tenant", "")
    rows = [
        {
            **row,
            "href": record_path(
                row["system"], row["entity"], row["external_id"], tenant
            ),
        }
        for row in (found or {}).get("records", [])
    ]
    return render(
        request,
        "records_search.html",
        status=status,
        form=form,
        found=found,
        rows=rows,
        problem=problem,
        states=lookup.STATES,
    )


async def record(request: web.Request) -> web.Response:
    system, entity = params.system_and_entity(
        request.match_info["system"], request.match_info["entity"]
    )
    external_id = request.match_info["id"]
    data = await ops.view(
        request.app[CONSOLE],
        tenant=params.text(request, "tenant"),
        system=system,
        entity=entity,
        external_id=external_id,
    )
    tenant = data["tenant"]
    place = "/".join(quote(part, safe="") for part in (system, entity, external_id))
    query = urlencode({"tenant": tenant, "wait": DEFAULT_WAIT})
    columns = [data["sides"]["crm"], data["sides"]["qbo"]]
    return render(
        request,
        "records_record.html",
        r=data,
        columns=columns,
        rows=[_field_row(row) for row in data["fields"]],
        history=[_history_row(entry) for entry in data["history"]],
        force_url=f"/api/records/{place}/force-sync?{query}",
        raw={
            side["system"]: json.dumps(
                side["record"], indent=2, ensure_ascii=False, sort_keys=True
            )
            for side in columns
            if side["record"] is not None
        },
        other_href={
            side["system"]: record_path(
                side["system"], side["entity"], str(side["external_id"]), tenant
            )
            for side in columns
            if side["entity"] and side["external_id"]
        },
        letters_href="/ui/dead-letters?" + urlencode({"tenant": tenant}),
    )


def _cell(value: dict[str, Any] | None) -> str:
    if value is None:
        return ""
    return shown(value["value"]) if value["carried"] else "(not carried)"


def _field_row(row: dict[str, Any]) -> dict[str, Any]:
    cells = {}
    for side in ("crm", "qbo"):
        seen, now = _cell(row[side]), _cell(row[f"{side}_live"])
        cells[side] = {"seen": seen, "now": now if now and now != seen else ""}
    return {"field": row["field"], "differs": row["differs"], **cells}


def _history_row(entry: dict[str, Any]) -> dict[str, Any]:
    changes = [
        f"{name}: {shown(entry['before'].get(name))} → {shown(value)}"
        for name, value in sorted(entry["after"].items())
    ]
    conflicts = [
        f"{c.get('field')}: CRM {shown(c.get('crm'))} vs QBO {shown(c.get('qbo'))}, "
        f"{c.get('winner')} won ({c.get('policy')})"
        for c in entry["conflicts"]
    ]
    return {**entry, "changes": changes, "conflict_lines": conflicts}


def routes() -> list[web.RouteDef]:
    return [
        web.get("/ui/records", search),
        web.get("/ui/records/{system}/{entity}/{id}", record),
    ]
