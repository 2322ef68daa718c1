"""Two matcher processes compete on one queue, fed conflicting and duplicated
events for the same records at once: links stay one-to-one and nothing is
created twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.inbox import Inbox
from common.messages import Envelope, Version
from common.settings import Settings
from common.store import Store
from common.store.embedded import free_port

pytestmark = pytest.mark.fault

REPO = Path(__file__).resolve().parents[2]
PEOPLE = 30  # each: 2 CRM versions, 2 QBO versions, half of them delivered twice


async def start_matcher(settings: Settings) -> asyncio.subprocess.Process:
    assert settings.mongodb_url is not None
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AMQP_URL": settings.amqp_url.get_secret_value(),
        "MONGODB_URL": settings.mongodb_url.get_secret_value(),
        "MONGODB_DATABASE": settings.mongodb_database,
        "BUS_PREFIX": settings.bus_prefix,
        "BUS_RETRY_DELAYS": "[0.05, 0.1, 0.2]",
        "BUS_MAX_ATTEMPTS": "20",
        "MATCHER_PORT": str(free_port()),
        "DATA_DIR": str(settings.data_dir),
        "LOG_FORMAT": "json",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.matcher",
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def change(
    system: str, entity: str, external_id: str, email: str, n: int, **fields: object
) -> Envelope:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return Envelope(
        kind="change",
        tenant="acme",
        system=system,
        entity=entity,
        external_id=external_id,
        version=Version(
            updated_at=t0 + timedelta(seconds=n),
            sequence=n if system == "qbo" else None,
        ),
        payload={
            "record": {
                "first_name": "Pat",
                "last_name": f"Person {external_id}",
                "email": email,
                **fields,
            }
        },
    )


async def test_two_matcher_processes_keep_links_one_to_one(
    settings: Settings, bus: Bus, store: Store
) -> None:
    await bus.declare_service_queues("matcher")
    emitted: list[Envelope] = []

    async def collect(envelope: Envelope) -> Sequence[Envelope]:
        emitted.append(envelope)
        return []

    probe = Consumer(
        bus,
        QueueSpec("writes_probe", ("write.#", "fetch.#")),
        collect,
        inbox=Inbox(store),
        dead_letters=DeadLetters(store, bus),
        prefetch=200,
    )
    await probe.start()
    matchers = [await start_matcher(settings) for _ in range(2)]
    try:
        events: list[Envelope] = []
        for p in range(PEOPLE):
            email = f"pat{p}@example.com"
            # Both sides know the person; edits race on both sides.
            events += [
                change("crm", "contact", f"c{p}", email, 1, phone="111"),
                change("crm", "contact", f"c{p}", email, 2, phone="222"),
                change("qbo", "customer", f"q{p}", email, 1, display_name=f"Pat {p}"),
                change(
                    "qbo",
                    "customer",
                    f"q{p}",
                    email,
                    2,
                    display_name=f"Pat {p}",
                    mobile="333",
                ),
            ]
        events += events[: len(events) // 2]  # duplicate deliveries
        await bus.publish_many(events)

        async def settled() -> bool:
            depth = await bus.queue_depth(bus.names.queue("matcher.events"))
            count = len(emitted)
            await asyncio.sleep(1.5)
            return depth == 0 and len(emitted) == count

        for _ in range(60):
            if await settled():
                break
        links = [d async for d in store.db["matcher_links"].find({"tenant": "acme"})]
    finally:
        for process in matchers:
            process.send_signal(signal.SIGTERM)
        for process in matchers:
            await process.wait()
        await probe.stop()

    assert [p.returncode for p in matchers] == [0, 0]
    crm_ids = Counter(link.get("crm_id") for link in links if link.get("crm_id"))
    qbo_ids = Counter(link.get("qbo_id") for link in links if link.get("qbo_id"))
    assert all(n == 1 for n in crm_ids.values())
    assert all(n == 1 for n in qbo_ids.values())
    paired = {(link.get("crm_id"), link.get("qbo_id")) for link in links}
    assert paired == {(f"c{p}", f"q{p}") for p in range(PEOPLE)}
    # A contact seen before its customer may ask for a create (the gateway's
    # live re-check then links the existing customer instead); what must never
    # happen is two creates for one person on one side.
    creates = Counter(
        (e.system, e.payload["record"].get("email"))
        for e in emitted
        if e.kind == "write" and e.external_id is None
    )
    assert all(n == 1 for n in creates.values()), creates
    assert await DeadLetters(store, bus).count() == 0
