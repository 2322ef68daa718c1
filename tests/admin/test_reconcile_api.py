"""The Reconcile API and pages against the console in-process, with no
gateway running: malformed input is a 400, an unknown run a 404, and a run
whose gateways do not answer fails with that reason instead of hanging."""

from __future__ import annotations

from typing import Any

import pytest

from common.settings import Settings
from services.admin.syncctl import run
from tests.admin.conftest import TOKEN, RunningConsole
from tests.support import wait_for

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"tenant": "acme", "entity": "account"}, "entity must be one of"),
        ({"tenant": "acme", "entity": "widget"}, "entity must be one of"),
        ({"entity": "contact"}, "tenant"),
        ({"tenant": "", "entity": "contact"}, "tenant"),
        ({"tenant": "acme", "entity": "contact", "since": "x"}, "since"),
    ],
)
async def test_a_malformed_start_is_a_400(
    running_console: RunningConsole, body: dict[str, Any], reason: str
) -> None:
    status, answer = await running_console.api.call("POST", "/api/reconcile", json=body)
    assert status == 400
    assert reason in answer["error"]


async def test_an_unknown_run_is_a_404(running_console: RunningConsole) -> None:
    api = running_console.api
    for path in ("/api/reconcile/nosuchrun", "/api/reconcile/nosuchrun.csv"):
        status, answer = await api.call("GET", path)
        assert status == 404
        assert answer["error"] == "no reconcile run 'nosuchrun'"
    status, _ = await api.call("GET", "/api/reconcile", params={"limit": "0"})
    assert status == 400
    async with running_console.http.get(
        f"{running_console.base}/ui/reconcile/nosuchrun",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as response:
        assert response.status == 404


async def test_a_run_whose_gateways_do_not_answer_fails_with_the_reason(
    running_console: RunningConsole,
) -> None:
    api = running_console.api
    started = await api.post("/api/reconcile", {"tenant": "acme", "entity": "item"})
    run_id = started["run_id"]
    assert (started["kind"], started["crm_entity"]) == ("product", "product")
    assert started["started_by"] == "console"
    assert run_id in started["message"]

    async def ended() -> bool:
        run = await api.get(f"/api/reconcile/{run_id}")
        return bool(run["status"] != "running")

    await wait_for(ended, seconds=20)
    run = await api.get(f"/api/reconcile/{run_id}")
    assert run["status"] == "failed"
    assert "gateway has never run on this broker" in run["reason"]
    assert run["findings"] is None
    status, answer = await api.call("GET", f"/api/reconcile/{run_id}.csv")
    assert status == 400
    assert "failed" in answer["error"]

    listed = await api.get("/api/reconcile", tenant="acme")
    assert [r["id"] for r in listed["runs"]] == [run_id]
    assert "findings" not in listed["runs"][0]
    assert (await api.get("/api/reconcile", tenant="other"))["runs"] == []

    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with running_console.http.get(
        f"{running_console.base}/ui/reconcile/{run_id}", headers=headers
    ) as response:
        html = await response.text()
    assert response.status == 200
    assert "gateway has never run on this broker" in html
    assert 'data-live="2"' not in html  # ended: nothing more to follow


async def test_syncctl_says_why_a_reconcile_failed(
    running_console: RunningConsole,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run(["reconcile", "vendor", "--tenant", "acme"], settings) == 1
    printed = capsys.readouterr()
    # either side's gateway, whichever is asked first
    assert "failed: " in printed.err
    assert "_gateway has never run on this broker" in printed.err
    runs = await running_console.api.get("/api/reconcile")
    assert [(r["started_by"], r["status"]) for r in runs["runs"]] == [
        ("syncctl", "failed")
    ]
