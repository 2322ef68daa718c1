"""The operator CLI over real dead letters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.bus import Bus, DeadLetters, Failure
from common.gateway.cursors import Cursors
from common.settings import Settings
from common.store import Store
from services.admin.syncctl import run

pytestmark = pytest.mark.integration


async def record(dead: DeadLetters, event_id: str, tenant: str) -> str:
    now = datetime.now(UTC)
    return await dead.record(
        Failure(
            queue="matcher.events",
            routing_key="change.crm.contact",
            body=b'{"attempt": 3}',
            reason="missing email",
            error_type="PermanentError",
            error_class="permanent",
            attempts=1,
            first_failed_at=now,
            last_failed_at=now,
            event_id=event_id,
            tenant=tenant,
            entity="contact",
        )
    )


async def test_list_replay_discard(
    settings: Settings, bus: Bus, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    await bus.declare_service_queues("matcher")
    dead = DeadLetters(store, bus)
    first = await record(dead, "e1", "acme")
    second = await record(dead, "e2", "globex")
    capsys.readouterr()  # what recording them logged is not the command's output

    assert await run(["dead-letters", "list", "--tenant", "acme"], settings) == 0
    out = capsys.readouterr()
    assert first in out.out
    assert second not in out.out
    assert "missing email" in out.out
    assert "1 shown of 1 dead letters\n" in out.out

    assert await run(["dead-letters", "replay", first], settings) == 0
    assert await dead.get(first) is None
    queue = bus.names.queue("matcher.events")
    assert await bus.queue_depth(queue) == 1

    assert await run(["dead-letters", "discard", second], settings) == 0
    assert await dead.count() == 0
    assert await run(["dead-letters", "discard", second], settings) == 1
    assert await run(["dead-letters", "replay"], settings) == 2


async def test_backfill_status_never_shows_more_than_everything(
    settings: Settings, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found by running the demo: "crm.vendor done 10/5 (200.0%)": the total
    # is counted when a run starts, and the sync made 5 more vendors meanwhile.
    cursors = Cursors(store)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    await cursors.start_backfill("acme", "crm", "vendor", since, "run1")
    await cursors.record_page(
        "acme",
        "crm",
        "vendor",
        run_id="run1",
        page=1,
        position={},
        published=10,
        total=5,
        done=True,
    )

    assert await run(["backfill", "status", "--tenant", "acme"], settings) == 0

    assert "crm.vendor    done     10/10 (100.0%)" in capsys.readouterr().out
