"""Zoho's notification channel is subscribed the moment a connection is made
(not at the next renewal check, a minute later) and renewed at every start
(Zoho may have dropped it while the gateway was down)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.bus.requests import Request, ask
from common.connections import Connection, Connections
from common.settings import Settings
from services.crm_gateway.channels import CHECK_EVERY_SECONDS
from tests.gateways.crm.conftest import TENANT, Sandbox, StartGateway, crm_side
from tests.support import wait_for

pytestmark = pytest.mark.sandbox


async def watched(zoho: Sandbox) -> set[str]:
    status, body = await zoho.api("GET", "/actions/watch")
    return (
        set() if status == 204 or not body else {c["channel_id"] for c in body["watch"]}
    )


async def test_a_connection_saved_by_a_command_is_subscribed_at_once(
    settings: Settings,
    zoho: Sandbox,
    connections: Connections,
    start_gateway: StartGateway,
) -> None:
    await start_gateway(background=True)  # its first check finds no connection
    await connections.save(Connection(tenant=TENANT, crm=crm_side(zoho.creds)))

    answer = await ask(
        settings, "crm_gateway", "crm", Request(action="connected", tenant=TENANT)
    )

    assert answer.ok, answer.reason
    side = (await connections.require(TENANT)).side("crm")
    assert side.channel_id is not None
    assert await watched(zoho) == {side.channel_id}


async def test_a_channel_zoho_forgot_is_renewed_at_start(
    zoho: Sandbox, connected: Connections, start_gateway: StartGateway
) -> None:
    # The store believes in a channel with days left; Zoho has never seen it.
    a_week = datetime.now(UTC) + timedelta(days=6)
    await connected.set_channel(TENANT, "100000000000000001", "old-token", a_week)

    await start_gateway(background=True)

    async def subscribed() -> bool:
        side = (await connected.require(TENANT)).side("crm")
        return side.channel_id in await watched(zoho)

    await wait_for(subscribed, CHECK_EVERY_SECONDS / 6)
