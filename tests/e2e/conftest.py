from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from common.settings import Settings
from common.store import Store
from tests.e2e.system import Qbo, System, Zoho, connect_tenant, sandboxes, service_ports


@pytest.fixture
async def system(settings: Settings, store: Store) -> AsyncIterator[System]:
    zoho_server, qbo_server = sandboxes()
    await zoho_server.start_server()
    await qbo_server.start_server()
    async with aiohttp.ClientSession() as http:
        zoho, qbo = Zoho(zoho_server, http), Qbo(qbo_server, http)
        zoho.creds = await zoho.admin("POST", "reset", {"seed": 1})
        qbo.creds = await qbo.admin("POST", "reset", {"seed": 1})
        ports = service_ports()
        running = System(zoho, qbo, settings, ports)
        await connect_tenant(running, store)
        await qbo.admin(
            "POST",
            "webhooks",
            {
                "url": f"http://127.0.0.1:{ports['qbo_gateway']}/webhooks/qbo",
                "verifier_token": "e2e-verifier-token",
                "batch_window_seconds": 0.1,
            },
        )
        await running.start()
        try:
            yield running
        finally:
            await running.stop()
    await zoho_server.close()
    await qbo_server.close()
