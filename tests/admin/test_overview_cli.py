"""syncctl's Overview topics, as an operator runs them: `connections`,
`overview`, `queues`, each with --json (the API's answer) and as text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from common.settings import Settings
from services.admin.syncctl import run
from tests.admin.conftest import RunningConsole
from tests.admin.test_overview_api import (
    SECRETS,
    TENANT,
    direction,
    save_connection,
    seed_records,
)

pytestmark = pytest.mark.integration


def answer_in(out: str) -> Any:
    """The JSON line (the in-process console's own log shares stdout)."""
    [line] = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(line)


async def test_syncctl_prints_the_overview_as_json_and_text(
    running_console: RunningConsole, capsys: pytest.CaptureFixture[str]
) -> None:
    console = running_console.console
    settings = console.settings
    await save_connection(settings, console.store, TENANT)
    await seed_records(console)
    capsys.readouterr()

    assert await run(["overview", "--tenant", TENANT, "--json"], settings) == 0
    answer = answer_in(capsys.readouterr().out)
    api = await running_console.api.get("/api/overview", tenant=TENANT)
    # The same counts; each answer says when it counted and how long it took.
    for moment in ("counted_at", "count_seconds"):
        assert moment in answer
        del answer[moment], api[moment]
    assert answer == api
    assert direction(answer, "contact", "crm")["refused"] == 4

    assert await run(["connections", "--json"], settings) == 0
    out = capsys.readouterr().out
    [connection] = answer_in(out)["connections"]
    assert [s["status"] for s in connection["sides"]] == ["active", "needs_reauth"]
    assert not any(secret in out for secret in SECRETS.values())

    assert await run(["queues", "--json"], settings) == 0
    queues = answer_in(capsys.readouterr().out)["queues"]
    assert {q["queue"] for q in queues} >= {console.bus.names.dead_letters}

    assert await run(["overview", "--tenant", TENANT], settings) == 0
    text = capsys.readouterr().out
    assert f"{TENANT}  contact  crm.contact  11  1  3 (1)  4  2  1" in text
    assert "refused 2x no email" in text
    assert await run(["connections"], settings) == 0
    text = capsys.readouterr().out
    assert "QuickBooks needs_reauth (refresh token refused (invalid_grant))" in text
    assert "re-connect:" in text


async def test_a_malformed_tenant_is_one_line_and_a_non_zero_exit(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(["overview", "--tenant", "bad tenant!", "--json"], settings) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("syncctl: tenant 'bad tenant!' is not a tenant")
