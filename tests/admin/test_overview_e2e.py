"""The Overview end to end: every service a process, both sandboxes. A
contact made in Zoho reaches QuickBooks through the webhook; the console's
overview then counts it linked both ways, and its connection shows when
the last webhook named contacts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from tests.admin.openapi_check import Api
from tests.e2e.conftest import system
from tests.e2e.system import E2E_ADMIN_TOKEN, TENANT, System
from tests.support import wait_for

pytestmark = pytest.mark.e2e
__all__ = ["system"]  # the fixture, used by name

EMAIL = "overview.ada@e2e.example"


def contacts(answer: dict[str, Any], side: str) -> dict[str, Any]:
    [tenant] = answer["tenants"]
    [row] = [r for r in tenant["rows"] if r["kind"] == "contact"]
    [found] = [d for d in row["directions"] if d["from"] == side]
    return found


async def test_a_contact_made_in_zoho_is_counted_linked_after_its_webhook(
    system: System,
) -> None:
    started = datetime.now(UTC)
    contact_id = await system.zoho.insert(
        "Contacts", {"First_Name": "Ada", "Last_Name": "Overview", "Email": EMAIL}
    )

    async def in_quickbooks() -> bool:
        customers = await system.qbo.records("Customer")
        return any(
            (c.get("PrimaryEmailAddr") or {}).get("Address") == EMAIL for c in customers
        )

    await wait_for(in_quickbooks, seconds=60)

    async with aiohttp.ClientSession() as http:
        api = Api(http, system.admin_url, E2E_ADMIN_TOKEN)
        latest: dict[str, Any] = {}

        async def linked() -> bool:
            latest.update(await api.get("/api/overview", tenant=TENANT))
            crm, qbo = contacts(latest, "crm"), contacts(latest, "qbo")
            # The customer's echo comes back as a QuickBooks record too.
            return crm["linked"] >= 1 and qbo["linked"] >= 1

        await wait_for(linked, seconds=60)
        crm = contacts(latest, "crm")
        assert crm["refused"] == crm["failed"] == 0
        assert crm["linked"] == crm["total"]

        answer = await api.get("/api/connections")
        [connection] = [c for c in answer["connections"] if c["tenant"] == TENANT]
        zoho = next(s for s in connection["sides"] if s["system"] == "crm")
        assert zoho["status"] == "active"
        times = {e["entity"]: e for e in zoho["entities"]}
        noted = times["contact"]["last_webhook"]
        assert noted is not None, f"no webhook noted for contact {contact_id}"
        assert datetime.fromisoformat(noted) >= started.replace(microsecond=0)
