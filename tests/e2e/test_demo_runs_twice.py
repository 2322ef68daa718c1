"""`make run` as a newcomer uses it: run the demo, stop it with Ctrl-C, run it
again without `make clean`. Both runs must give the same clean demo (no dead
letters, no re-authorisation), and the README's walk-through must work on
the second: a contact created with the demo's credentials becomes a QBO
customer and gets its marker back."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from common.bus import QUEUES, Bus
from common.bus.topology import tenant_bulk_writes
from common.lanes import BULK_LINGER_SECONDS
from common.settings import SERVICE_PORTS, Settings
from common.store import Store
from common.store.embedded import free_port
from tests.e2e.system import process_env
from tests.support import wait_for

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BACKFILLED = 11  # entities: 6 on the Zoho side, 5 on the QBO side


class Devstack:
    """`python -m services.devstack` in its own process group, as `make run`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ports = {name: free_port() for name in SERVICE_PORTS}
        self.ports |= {"zoho_sandbox": free_port(), "qbo_sandbox": free_port()}
        self.process: asyncio.subprocess.Process | None = None
        self.runs = 0

    def env(self) -> dict[str, str]:
        # No SECRET_KEY: `make run` makes and keeps its own under DATA_DIR.
        return process_env(self.settings, self.ports)

    @property
    def log_path(self) -> Path:
        return Path(self.settings.data_dir) / f"devstack-{self.runs}.log"

    def log(self) -> str:
        return self.log_path.read_text()

    async def start(self) -> None:
        self.runs += 1
        output = self.log_path.open("w")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.devstack",
            env=self.env(),
            cwd=REPO,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )

        async def announced() -> bool:
            assert self.process is not None
            assert self.process.returncode is None, self.log()
            return "syncctl demo credentials" in self.log()

        await wait_for(announced, 90)

    async def ctrl_c(self) -> None:
        """What a terminal does on Ctrl-C: SIGINT to the whole process group."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGINT)
        assert await asyncio.wait_for(self.process.wait(), 60) == 0, self.log()

    async def syncctl(self, *argv: str) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.admin.syncctl",
            *argv,
            env=self.env(),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode()


@pytest.fixture
async def devstack(settings: Settings) -> AsyncIterator[Devstack]:
    stack = Devstack(settings)
    yield stack
    if stack.process is not None and stack.process.returncode is None:
        os.killpg(stack.process.pid, signal.SIGTERM)
        await asyncio.wait_for(stack.process.wait(), 60)


async def converged(store: Store, bus: Bus) -> None:
    """Both backfills done, every queue empty, links steady for a while."""

    async def backfills_done() -> bool:
        done = await store.db["cursors"].count_documents(
            {"kind": "backfill", "status": "done"}
        )
        return done >= BACKFILLED

    await wait_for(backfills_done, 90)
    queues = [bus.names.queue(spec.name) for specs in QUEUES.values() for spec in specs]
    # The demo tenant's bulk writes wait in queues of their own (declared
    # here too: the first bulk write to a side may still be on its way).
    for system in ("crm", "qbo"):
        spec = tenant_bulk_writes(system, "demo")
        await bus.declare_queue(spec)
        queues.append(bus.names.queue(spec.name))
    # Steady for three times the bulk linger: a gateway holds bulk writes for
    # BULK_LINGER_SECONDS in memory, where no queue depth shows them.
    steady_for = 3 * BULK_LINGER_SECONDS
    loop = asyncio.get_running_loop()
    since: list[tuple[float, int]] = []

    async def quiet() -> bool:
        depths = [await bus.queue_depth(name) for name in queues]
        links = await store.db["matcher_links"].count_documents({})
        value = links if not any(depths) else -1
        if not since or since[0][1] != value:
            since[:] = [(loop.time(), value)]
        return value >= 0 and loop.time() - since[0][0] >= steady_for

    await wait_for(quiet, 120)


async def clean(store: Store) -> dict[str, Any]:
    """The demo's visible state: what a newcomer would check."""
    dead = await store.db["dead_letters"].find({}).to_list(None)
    connection = await store.db["connections"].find_one({"_id": "demo"})
    assert connection is not None
    return {
        "dead_letters": [f"{d['routing_key']}: {d['reason']}" for d in dead],
        "crm": connection["crm"]["status"],
        "qbo": connection["qbo"]["status"],
        "links": await store.db["matcher_links"].count_documents({}),
    }


async def test_make_run_twice_gives_the_same_clean_demo_and_the_walkthrough_works(
    devstack: Devstack, store: Store, bus: Bus
) -> None:
    await devstack.start()
    assert "seeded afresh" in devstack.log()
    assert re.search(
        r"console: http://127\.0\.0\.1:\d+/ui/  admin token: \S{16,}", devstack.log()
    )
    await converged(store, bus)
    # QuickBooks told the qbo-gateway about the customers the backfill made:
    # its webhooks were pointed at the gateway after the seed's reset.
    qbo_sandbox = f"http://127.0.0.1:{devstack.ports['qbo_sandbox']}"

    async def qbo_webhooks_delivered() -> bool:
        url = f"{qbo_sandbox}/_sandbox/webhooks/deliveries"
        async with aiohttp.ClientSession() as http, http.get(url) as answer:
            deliveries = (await answer.json())["deliveries"]
        return any(delivery["delivered"] for delivery in deliveries)

    await wait_for(qbo_webhooks_delivered, 30)
    first = await clean(store)
    assert first["dead_letters"] == []
    assert (first["crm"], first["qbo"]) == ("active", "active")
    await devstack.ctrl_c()

    await devstack.start()
    assert "resumed" in devstack.log()
    await converged(store, bus)
    second = await clean(store)
    assert second == first
    assert "re-authoris" not in devstack.log()
    assert "resume_race" not in devstack.log()  # debug detail, not console noise

    # The README's walk-through, with the credentials `syncctl` prints.
    exports = await devstack.syncctl("demo", "credentials", "--shell")
    found = dict(re.findall(r"^export (\w+)=(\S+)$", exports, re.MULTILINE))
    zoho = {"Authorization": f"Zoho-oauthtoken {found['ZOHO_TOKEN']}"}
    qbo = {
        "Authorization": f"Bearer {found['QBO_TOKEN']}",
        "Accept": "application/json",
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{found['ZOHO_API']}/Contacts",
            headers=zoho,
            json={
                "data": [
                    {
                        "First_Name": "Nina",
                        "Last_Name": "Newcomer",
                        "Email": "nina.newcomer@example.com",
                    }
                ]
            },
        ) as response:
            assert response.status == 201, await response.text()
            contact_id = (await response.json())["data"][0]["details"]["id"]
        query = "select * from Customer where DisplayName = 'Nina Newcomer'"
        customers: list[dict[str, Any]] = []

        async def customer_appeared() -> bool:
            async with http.get(
                f"{found['QBO_API']}/query", headers=qbo, params={"query": query}
            ) as response:
                body = await response.json()
            customers[:] = body["QueryResponse"].get("Customer", [])
            return bool(customers)

        await wait_for(customer_appeared, 15)
        marker: list[str] = []

        async def marker_set() -> bool:
            async with http.get(
                f"{found['ZOHO_API']}/Contacts/{contact_id}", headers=zoho
            ) as response:
                record = (await response.json())["data"][0]
            marker[:] = [record.get("QuickBooks_Customer_Id") or ""]
            return bool(marker[0])

        await wait_for(marker_set, 15)
    assert marker == [customers[0]["Id"]]
    assert await store.db["dead_letters"].count_documents({}) == 0
    await devstack.ctrl_c()
