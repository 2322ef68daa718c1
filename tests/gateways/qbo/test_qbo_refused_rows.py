"""One record the gateway cannot translate never blocks its neighbours: the
good ones are published, the bad one is one dead letter naming it (however
many polls see it), and the watermark moves on. Here the bad record is an
invoice carrying a value the connection's field map cannot carry (a list)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from common.bus import DeadLetters
from common.gateway.cursors import Cursors
from common.messages import Envelope
from common.store import Store
from tests.gateways.qbo.conftest import TENANT, Running, Sandbox
from tests.support import holds, wait_for

pytestmark = pytest.mark.integration

CREW = [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType"}]


async def invoice(qbo: Sandbox, customer: str, number: str, **extra: Any) -> str:
    status, body = await qbo.api(
        "POST",
        "invoice",
        json={
            "DocNumber": number,
            "CustomerRef": {"value": customer},
            "Line": [
                {
                    "Amount": 10,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
            **extra,
        },
    )
    assert status == 200, body
    return str(body["Invoice"]["Id"])


def poll(n: int) -> Envelope:
    return Envelope(
        kind="poll", tenant=TENANT, system="qbo", entity="invoice", payload={"n": n}
    )


async def test_a_bad_invoice_is_dead_lettered_once_and_the_poll_goes_on(
    running: Running, qbo_sandbox: Sandbox, store: Store
) -> None:
    connection = await running.connections.require(TENANT)
    field_map = {"links": [{"api_field": "CustomField", "custom_key": "crew"}]}
    await running.connections.save(
        connection.model_copy(
            update={"settings": {"field_maps": {"qbo": {"invoice": field_map}}}}
        )
    )
    status, body = await qbo_sandbox.api(
        "POST", "customer", json={"DisplayName": "Refused Rows Ltd"}
    )
    assert status == 200, body
    customer = str(body["Customer"]["Id"])
    good = await invoice(qbo_sandbox, customer, "R-1")
    bad = await invoice(qbo_sandbox, customer, "R-2", CustomField=CREW)
    dead = DeadLetters(store, running.bus)

    async def changes_seen(times: int) -> bool:
        return len(running.probe.of("change")) >= times

    for n in (1, 2, 3):  # every poll sees the bad one again
        await running.bus.publish(poll(n))
        await wait_for(partial(changes_seen, n))

    changes = running.probe.of("change", "invoice")
    assert {e.external_id for e in changes} == {good}
    refused = await dead.list({"tenant": TENANT}, limit=10)
    assert len(refused) == 1
    assert refused[0]["external_id"] == bad
    assert refused[0]["entity"] == "invoice"
    assert "QBO Invoice" in refused[0]["reason"]
    assert "R-2" in refused[0]["reason"]
    assert refused[0]["routing_key"] == "fetch.qbo.invoice"
    assert await Cursors(store).watermark(TENANT, "qbo", "invoice") is not None

    # Fixed at the source (the field map dropped), a replay reads it again.
    await running.connections.save(connection)
    assert await dead.replay(refused[0]["_id"])
    await wait_for(
        lambda: holds(bad in {e.external_id for e in running.probe.of("change")})
    )
