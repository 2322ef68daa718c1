"""The Backfills API on the console in-process: runs recorded by
start_backfill, cursors and dead letters written as the gateways write them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from common.bus import Failure
from common.gateway.cursors import CURSORS, Cursors, cursor_id
from common.messages import Envelope
from common.operator.backfills import BACKFILL_RUNS, start_backfill
from common.payloads import BackfillPayload
from common.store.times import to_stored
from services.admin.console import Console
from tests.admin.conftest import RunningConsole

pytestmark = pytest.mark.integration

SINCE = datetime(2020, 1, 1, tzinfo=UTC)


async def started(
    console: Console, tenant: str, system: str, *entities: str, by: str = "syncctl"
) -> str:
    """A run as syncctl or the console start one (tasks published and all)."""
    for service in ("crm_gateway", "qbo_gateway"):
        await console.bus.declare_service_queues(service)
    return await start_backfill(
        console.bus,
        tenant,
        system,
        date(2020, 1, 1),
        entities,
        store=console.store,
        started_by=by,
    )


async def page(
    cursors: Cursors,
    tenant: str,
    entity: str,
    run_id: str,
    number: int,
    published: int,
    total: int | None,
    done: bool = False,
) -> None:
    """What a crm-gateway does once page ``number`` is published."""
    if number == 1:
        await cursors.start_backfill(tenant, "crm", entity, SINCE, run_id)
    moved = await cursors.record_page(
        tenant,
        "crm",
        entity,
        run_id=run_id,
        page=number,
        position={"page": number + 1},
        published=published,
        total=total,
        done=done,
    )
    assert moved


async def backdate(
    console: Console, tenant: str, entity: str, started: datetime, **more: datetime
) -> None:
    """Let time pass: the entity started at ``started`` (finished_at=...)."""
    times = {"started_at": started, **more}
    await console.store.db[CURSORS].update_one(
        {"_id": cursor_id("backfill", tenant, "crm", entity)},
        {"$set": {name: to_stored(value) for name, value in times.items()}},
    )


def entity(run: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in run["entities"] if e["entity"] == name)
    return found


async def test_each_entity_shows_pages_records_rate_and_eta(
    running_console: RunningConsole,
) -> None:
    console, api = running_console.console, running_console.api
    cursors = Cursors(console.store)
    run_id = await started(console, "acme", "crm", "account", "contact", "product")
    # account: two pages, done in 25 s
    await page(cursors, "acme", "account", run_id, 1, 100, 150)
    await page(cursors, "acme", "account", run_id, 2, 50, 150, done=True)
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    await backdate(
        console, "acme", "account", t0, finished_at=t0 + timedelta(seconds=25)
    )
    # contact: 200 of 1000 in the 100 s since it started
    await page(cursors, "acme", "contact", run_id, 1, 200, 1000)
    await backdate(
        console, "acme", "contact", datetime.now(UTC) - timedelta(seconds=100)
    )

    run = await api.get(f"/api/backfills/{run_id}")

    assert run["id"] == run_id
    assert (run["tenant"], run["system"], run["since"]) == ("acme", "crm", "2020-01-01")
    assert run["started_by"] == "syncctl"
    assert run["status"] == "running"
    assert [e["entity"] for e in run["entities"]] == ["account", "contact", "product"]
    account = entity(run, "account")
    assert account["status"] == "done"
    assert (account["pages"], account["published"], account["total"]) == (2, 150, 150)
    assert account["percent"] == 100.0
    assert account["rate"] == 6.0  # 150 records in 25 s
    assert account["eta_seconds"] is None
    contact = entity(run, "contact")
    assert contact["status"] == "running"
    assert (contact["pages"], contact["published"], contact["total"]) == (1, 200, 1000)
    assert contact["percent"] == 20.0
    assert contact["rate"] == pytest.approx(2.0, abs=0.1)  # 200 in 100 s
    assert contact["eta_seconds"] == pytest.approx(400, abs=20)  # 800 at 2/s
    product = entity(run, "product")
    assert product["status"] == "queued"
    assert (product["pages"], product["published"], product["total"]) == (0, 0, None)

    listing = await api.get("/api/backfills", tenant="acme")
    assert [r["id"] for r in listing["runs"]] == [run_id]
    assert listing["runs"][0] == run | {"entities": listing["runs"][0]["entities"]}
    assert (await api.get("/api/backfills", tenant="globex"))["runs"] == []


async def test_runs_newest_first_and_an_unknown_total_has_no_eta(
    running_console: RunningConsole,
) -> None:
    console, api = running_console.console, running_console.api
    cursors = Cursors(console.store)
    first = await started(console, "acme", "crm", "vendor", by="make run")
    second = await started(console, "globex", "qbo", "item", by="console")
    third = await started(console, "acme", "crm", "quote")
    await page(cursors, "acme", "quote", third, 1, 40, None)

    runs = (await api.get("/api/backfills"))["runs"]

    assert [r["id"] for r in runs] == [third, second, first]
    assert [r["started_by"] for r in runs] == ["syncctl", "console", "make run"]
    quote = entity(runs[0], "quote")
    assert (quote["status"], quote["total"], quote["percent"]) == (
        "running",
        None,
        None,
    )
    assert quote["eta_seconds"] is None
    assert [r["id"] for r in (await api.get("/api/backfills", limit="2"))["runs"]] == [
        third,
        second,
    ]


async def test_an_entity_read_again_by_a_later_run_is_superseded(
    running_console: RunningConsole,
) -> None:
    console, api = running_console.console, running_console.api
    cursors = Cursors(console.store)
    earlier = await started(console, "acme", "crm", "contact", "vendor")
    await page(cursors, "acme", "contact", earlier, 1, 30, 30, done=True)
    later = await started(console, "acme", "crm", "contact", "account")
    # the later run reaches contact before the earlier one reaches vendor
    await page(cursors, "acme", "contact", later, 1, 12, 31)

    old = await api.get(f"/api/backfills/{earlier}")
    new = await api.get(f"/api/backfills/{later}")

    contact = entity(old, "contact")
    assert contact["status"] == "superseded"
    assert contact["superseded_by"] == later
    assert contact["published"] == 0  # its own counts are gone with its cursor
    assert entity(old, "vendor")["status"] == "queued"
    assert old["status"] == "running"
    assert entity(new, "contact")["published"] == 12
    # The later run's account: no cursor yet
    assert entity(new, "account")["status"] == "queued"
    # A cursor of an earlier run only means this run has not got there yet.
    third = await started(console, "acme", "crm", "contact")
    assert entity(await api.get(f"/api/backfills/{third}"), "contact")["status"] == (
        "queued"
    )

    page_html = (await api.call("GET", "/ui/backfills"))[1]
    assert f"superseded by <code>{later}</code>" in page_html
    assert '<section id="backfill-runs" data-live="2">' in page_html
    assert '<progress max="100" value="38.7">' in page_html  # 12 of 31


async def test_an_entity_whose_task_is_dead_lettered_failed_with_its_reason(
    running_console: RunningConsole,
) -> None:
    console, api = running_console.console, running_console.api
    cursors = Cursors(console.store)
    older = await started(console, "acme", "crm", "vendor")
    run_id = await started(console, "acme", "crm", "vendor", "invoice")
    await page(cursors, "acme", "vendor", run_id, 1, 200, 500)
    task = Envelope(
        kind="backfill",
        tenant="acme",
        system="crm",
        entity="vendor",
        payload=BackfillPayload(since=SINCE, run_id=run_id).wire(),
    )
    now = datetime.now(UTC)
    letter = Failure(
        queue="crm_gateway.backfill",
        routing_key=task.routing_key,
        body=task.to_bytes(),
        reason="gave up after 4 attempts: Zoho answered 500",
        error_type="RetriableError",
        error_class="retriable",
        attempts=4,
        first_failed_at=now,
        last_failed_at=now,
        event_id=str(task.event_id),
        tenant="acme",
        system="crm",
        entity="vendor",
    )
    await console.dead_letters.record(letter)
    # A record the backfill refused is a letter too, but not the task's.
    refused = replace(
        letter,
        entity="invoice",
        external_id="9001",
        reason="invoice 9001 has no customer",
        event_id="refusal-1",
    )
    await console.dead_letters.record(refused)

    run = await api.get(f"/api/backfills/{run_id}")

    vendor = entity(run, "vendor")
    assert vendor["status"] == "failed"
    assert vendor["reason"] == "gave up after 4 attempts: Zoho answered 500"
    assert (vendor["published"], vendor["total"]) == (200, 500)
    assert vendor["eta_seconds"] is None
    assert entity(run, "invoice")["status"] == "queued"
    assert run["status"] == "failed"
    # The letter names this run: the earlier run on vendor did not fail.
    old = await api.get(f"/api/backfills/{older}")
    assert entity(old, "vendor")["status"] == "superseded"
    assert old["status"] == "done"

    # Replayed (the letter gone), the entity runs again.
    await console.dead_letters.discard(letter.key)
    assert entity(await api.get(f"/api/backfills/{run_id}"), "vendor")["status"] == (
        "running"
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"tenant": "acme", "system": "xero", "since": "2020-01-01"}, "system"),
        (
            {
                "tenant": "acme",
                "system": "crm",
                "since": "2020-01-01",
                "entities": ["x"],
            },
            "unknown crm entity 'x'; accepted: contact",
        ),
        (
            {
                "tenant": "acme",
                "system": "qbo",
                "since": "2020-01-01",
                "entities": ["contact"],
            },
            "unknown qbo entity 'contact'",
        ),
        ({"tenant": "acme", "system": "crm", "since": "31/01/2020"}, "YYYY-MM-DD"),
        ({"tenant": "acme", "system": "crm", "since": "2999-01-01"}, "in the future"),
        ({"tenant": "acme", "system": "crm"}, "since"),
        ({"system": "crm", "since": "2020-01-01"}, "tenant"),
        ({"tenant": "", "system": "crm", "since": "2020-01-01"}, "tenant"),
        (
            {"tenant": "acme", "system": "crm", "since": "2020-01-01", "entities": "x"},
            "entities",
        ),
        (
            {"tenant": "acme", "system": "crm", "since": "2020-01-01", "from": "x"},
            "from",
        ),
        ([1, 2], "body"),
    ],
)
async def test_a_malformed_start_is_a_400_naming_the_problem(
    running_console: RunningConsole, body: Any, named: str
) -> None:
    status, answer = await running_console.api.call("POST", "/api/backfills", json=body)

    assert status == 400, answer
    assert named in answer["error"]
    assert (
        await running_console.console.store.db[BACKFILL_RUNS].count_documents({}) == 0
    )


async def test_a_body_that_is_not_json_and_bad_parameters_are_400s(
    running_console: RunningConsole,
) -> None:
    api = running_console.api
    headers = {"Authorization": f"Bearer {api.token}"}
    async with running_console.http.post(
        f"{api.base}/api/backfills", data="tenant=acme", headers=headers
    ) as response:
        assert response.status == 400
        assert "JSON" in (await response.json())["error"]
    async with running_console.http.post(
        f"{api.base}/api/backfills",
        data="{not json",
        headers={**headers, "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
    for limit in ("0", "many", "201"):
        status, answer = await api.call(
            "GET", "/api/backfills", params={"limit": limit}
        )
        assert status == 400
        assert "limit" in answer["error"]


async def test_an_unknown_run_is_a_404(running_console: RunningConsole) -> None:
    status, answer = await running_console.api.call("GET", "/api/backfills/nope")

    assert status == 404
    assert "nope" in answer["error"]


async def test_nothing_starts_when_the_gateway_does_not_answer(
    running_console: RunningConsole,
) -> None:
    status, answer = await running_console.api.call(
        "POST",
        "/api/backfills",
        json={"tenant": "acme", "system": "qbo", "since": "2020-01-01"},
    )

    assert status == 503
    assert "qbo_gateway" in answer["error"]
    assert "nothing was started" in answer["error"]
    assert (
        await running_console.console.store.db[BACKFILL_RUNS].count_documents({}) == 0
    )
