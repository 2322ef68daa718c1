"""syncctl's backfill topic: `runs` and `status`, as text and as JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from common.bus import Bus
from common.gateway.cursors import Cursors
from common.operator.backfills import start_backfill
from common.settings import Settings
from common.store import Store
from services.admin.syncctl import run

pytestmark = pytest.mark.integration


async def test_runs_and_status_as_text_and_json(
    settings: Settings, store: Store, bus: Bus, capsys: pytest.CaptureFixture[str]
) -> None:
    await bus.declare_service_queues("crm_gateway")
    run_id = await start_backfill(
        bus,
        "acme",
        "crm",
        date(2021, 3, 1),
        ("account", "contact"),
        store=store,
        started_by="make run",
    )
    cursors = Cursors(store)
    await cursors.start_backfill(
        "acme", "crm", "account", datetime(2021, 3, 1, tzinfo=UTC), run_id
    )
    await cursors.record_page(
        "acme",
        "crm",
        "account",
        run_id=run_id,
        page=1,
        position={},
        published=7,
        total=7,
        done=True,
    )
    capsys.readouterr()

    assert await run(["backfill", "runs", "--tenant", "acme"], settings) == 0
    out = capsys.readouterr().out
    assert f"{run_id}  " in out
    assert "Zoho CRM since 2021-03-01  by make run  running" in out
    assert "    account   done     7/7 (1 page)" in out
    assert "    contact   queued" in out

    assert await run(["backfill", "runs", "--json"], settings) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    listed = json.loads(lines[0])
    assert listed["id"] == run_id
    assert [e["status"] for e in listed["entities"]] == ["done", "queued"]

    assert await run(["backfill", "runs", "--tenant", "globex"], settings) == 0
    assert capsys.readouterr().out == "no backfill has run yet\n"

    assert await run(["backfill", "status", "--json"], settings) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["entity"], r["status"], r["published"]) for r in rows] == [
        ("account", "done", 7)
    ]

    assert await run(["backfill", "runs", "--limit", "0"], settings) == 1
    assert "--limit" in capsys.readouterr().err


async def test_a_future_date_is_refused_before_anything_is_asked(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["backfill", "start", "--tenant", "acme", "--system", "qbo"]

    assert await run([*argv, "--since", "2999-01-01"], settings) == 2

    err = capsys.readouterr().err
    assert err.startswith("syncctl: since is in the future (2999-01-01")
    assert err.count("\n") == 1
