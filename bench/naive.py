"""The yardstick: a naive sync script, one record at a time.

For each Zoho contact: read it, look its email up in QBO, create the
customer when there is none, write the QBO id back onto the contact. Four
API calls per record, each waiting for the one before, no batching, no
concurrency: what a first script against the two APIs does.
"""

from __future__ import annotations

import time
from typing import Any

from bench.sandboxes import QboPerson, ZohoPerson


def customer_of(contact: dict[str, Any]) -> dict[str, Any]:
    given = str(contact.get("First_Name") or "")
    family = str(contact.get("Last_Name") or "")
    body: dict[str, Any] = {
        "GivenName": given,
        "FamilyName": family,
        # Unique in QBO; the Zoho id keeps namesakes apart.
        "DisplayName": f"{given} {family} {contact['id'][-6:]}".strip(),
    }
    if contact.get("Email"):
        body["PrimaryEmailAddr"] = {"Address": contact["Email"]}
    return body


async def sync_one(zoho: ZohoPerson, qbo: QboPerson, contact_id: str) -> None:
    contact = await zoho.contact(contact_id)
    found = await qbo.customers_by_email(str(contact.get("Email") or ""))
    customer_id = (
        str(found[0]["Id"])
        if found
        else await qbo.create_customer(customer_of(contact))
    )
    await zoho.set_marker(contact_id, customer_id)


async def naive_sync(zoho: ZohoPerson, qbo: QboPerson, count: int) -> dict[str, Any]:
    """Runs the script over ``count`` contacts; its rate and API calls."""
    ids = await zoho.contact_ids(count)
    zoho.calls = qbo.calls = 0
    started = time.perf_counter()
    for contact_id in ids:
        await sync_one(zoho, qbo, contact_id)
    seconds = time.perf_counter() - started
    return {
        "records": len(ids),
        "seconds": round(seconds, 2),
        "records_per_s": round(len(ids) / seconds, 2) if seconds else None,
        "zoho_calls": zoho.calls,
        "qbo_calls": qbo.calls,
        "throttled_429": zoho.throttled + qbo.throttled,
    }
