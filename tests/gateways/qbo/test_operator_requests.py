"""syncctl asks the qbo-gateway whether a QBO record exists before it asks
for a forced sync of it, and names the record as a person knows it."""

from __future__ import annotations

import pytest

from common.bus import QueueSpec
from common.settings import Settings
from services.admin.syncctl import run
from tests.gateways.qbo.conftest import TENANT, Running, Sandbox

pytestmark = pytest.mark.sandbox


async def test_force_sync_names_an_existing_customer_and_refuses_a_missing_one(
    running: Running,
    qbo_sandbox: Sandbox,
    gateway_settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue = await running.bus.declare_queue(QueueSpec("test.work", ("command.#",)))
    status, body = await qbo_sandbox.api(
        "POST", "customer", json={"DisplayName": "Hedda Gabler"}
    )
    assert status == 200, body
    customer = body["Customer"]
    argv = ["force-sync", "--tenant", TENANT, "--system", "qbo", "--entity"]

    assert await run([*argv, "customer", str(customer["Id"])], gateway_settings) == 0
    assert f"({customer['DisplayName']})" in capsys.readouterr().out

    assert await run([*argv, "customer", "987654"], gateway_settings) == 1
    err = capsys.readouterr().err
    assert "QuickBooks customer '987654' does not exist" in err
    assert await running.bus.queue_depth(queue.name) == 1
