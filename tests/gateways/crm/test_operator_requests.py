"""syncctl asks the crm-gateway before it starts anything, and says what was
wrong in one line: a tenant with no connection, a record Zoho does not have,
a gateway that is not running, an entity that does not exist."""

from __future__ import annotations

import asyncio

import pytest

from common.bus import Bus, QueueSpec
from common.connections import Connections
from common.settings import Settings
from services.admin.syncctl import run
from tests.gateways.crm.conftest import TENANT, Sandbox, StartGateway

pytestmark = pytest.mark.sandbox


@pytest.fixture
async def work_queue(bus: Bus) -> str:
    """A queue of the test's own that sees every command and backfill task."""
    spec = QueueSpec("test.work", ("command.#", "backfill.#"))
    queue = await bus.declare_queue(spec)
    return queue.name


async def test_force_sync_of_an_existing_contact_is_requested(
    settings: Settings,
    bus: Bus,
    zoho: Sandbox,
    connected: Connections,
    start_gateway: StartGateway,
    work_queue: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await start_gateway(background=True)
    status, body = await zoho.api(
        "POST",
        "/Contacts",
        json={"data": [{"Last_Name": "Ortega", "First_Name": "Ana"}]},
    )
    assert status == 201, body
    contact_id = body["data"][0]["details"]["id"]

    argv = ["force-sync", "--tenant", TENANT, "--system", "crm"]
    assert await run([*argv, "--entity", "contact", contact_id], settings) == 0

    out = capsys.readouterr().out
    assert f"requested a sync of Zoho CRM contact {contact_id} (Ana Ortega)" in out
    assert await bus.queue_depth(work_queue) == 1


@pytest.mark.parametrize(
    ("tenant", "record_id", "reason"),
    [
        ("nope", "5633041000000000001", "tenant 'nope' has no connection"),
        (TENANT, "5633041999999999999", "does not exist"),
    ],
)
async def test_force_sync_refuses_what_cannot_be_synced(
    settings: Settings,
    bus: Bus,
    connected: Connections,
    start_gateway: StartGateway,
    work_queue: str,
    capsys: pytest.CaptureFixture[str],
    tenant: str,
    record_id: str,
    reason: str,
) -> None:
    await start_gateway(background=True)
    argv = ["force-sync", "--tenant", tenant, "--system", "crm"]

    assert await run([*argv, "--entity", "contact", record_id], settings) == 1

    err = capsys.readouterr().err
    assert reason in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert await bus.queue_depth(work_queue) == 0


async def test_backfill_of_a_tenant_without_connection_is_refused(
    settings: Settings,
    bus: Bus,
    connected: Connections,
    start_gateway: StartGateway,
    work_queue: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await start_gateway(background=True)

    argv = ["backfill", "start", "--tenant", "nope", "--system", "crm"]
    assert await run(argv, settings) == 1

    assert "tenant 'nope' has no connection" in capsys.readouterr().err
    assert await bus.queue_depth(work_queue) == 0
    argv = ["backfill", "start", "--tenant", TENANT, "--system", "crm"]
    assert await run([*argv, "--entity", "contact"], settings) == 0
    assert "started" in capsys.readouterr().out
    assert await bus.queue_depth(work_queue) == 1


async def test_nothing_starts_when_no_gateway_answers(
    settings: Settings,
    bus: Bus,
    connected: Connections,
    work_queue: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["backfill", "start", "--tenant", TENANT, "--system", "crm"]

    code = await asyncio.wait_for(run(argv, settings), 20)

    assert code == 1
    assert "crm_gateway" in capsys.readouterr().err
    assert await bus.queue_depth(work_queue) == 0


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (
            ["force-sync", "--tenant", TENANT, "--system", "crm", "--entity", "x", "1"],
            "unknown crm entity 'x'; accepted: contact, account, product",
        ),
        (
            [
                "backfill",
                "start",
                "--tenant",
                TENANT,
                "--system",
                "qbo",
                "--entity",
                "y",
            ],
            "unknown qbo entity 'y'; accepted: customer, item, invoice",
        ),
    ],
)
async def test_an_unknown_entity_is_one_line_naming_what_is_accepted(
    settings: Settings, argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(argv, settings) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert named in err
