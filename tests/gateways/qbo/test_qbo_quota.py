"""Bulk writes use both of QBO's budgets: batch calls, then single calls."""

from __future__ import annotations

import pytest

from common.gateway.limits import LimitSpec, RateLimits
from common.records import Party

from .conftest import Running, Sandbox
from .test_qbo_writes import batch_calls, bulk_write, outcome, written_for

pytestmark = pytest.mark.integration


async def test_bulk_creates_spill_into_single_calls_once_the_batch_calls_are_spent(
    running: Running, qbo_sandbox: Sandbox
) -> None:
    # QBO's windows scaled down: two batch calls a minute, 600 calls.
    limits = RateLimits(LimitSpec(per_minute=600, concurrent=10, batch_per_minute=2))
    running.gateway.client.caller.limits = limits
    await qbo_sandbox.admin("DELETE", "stats")
    sent = [
        bulk_write(
            "customer",
            Party(first_name="Bulk", last_name=f"Spill {n}", email=f"s{n}@spill.io"),
            f"spill-{n}",
            f"s{n}@spill.io",
        )
        for n in range(70)
    ]
    await running.bus.publish_many(sent)
    written = await written_for(running, sent)
    assert all(outcome(w).created for w in written)
    assert len({w.external_id for w in written}) == 70
    assert len(await qbo_sandbox.records("Customer")) == 70
    stats = await qbo_sandbox.stats()
    # Two full batches took the minute's batch calls; the last ten went one
    # by one instead of waiting a minute for the batch window.
    assert batch_calls(stats) == 2
    assert stats["by_path"].get("POST /v3/company/{realmId}/customer", 0) == 10
    assert not any(r["status"] == 429 for r in stats["requests"])
