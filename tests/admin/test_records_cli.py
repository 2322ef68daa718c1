"""syncctl's Records topics over documents the real matcher wrote: `record
--json`, `records find`, `links show`, `parked list`, and `force-sync --wait`
refusing to start when no gateway answers."""

from __future__ import annotations

import json

import pytest

from common.settings import Settings
from common.store import Store
from services.admin.syncctl import run
from services.matcher.bootstrap import bootstrap
from tests.matcher.harness import TENANT, Harness, contact, writes

pytestmark = pytest.mark.integration


@pytest.fixture
async def h(store: Store) -> Harness:
    await store.db["connections"].insert_one({"_id": TENANT})
    matcher = await bootstrap(store)
    h = Harness(matcher, matcher.repository)
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    await h.send(h.written(create, "q1"))
    invoice = {"kind": "invoice", "number": "INV-7", "party_id": "c9", "lines": []}
    await h.send(h.change("crm", "invoice", "inv1", invoice))
    return h


async def out_of(
    capsys: pytest.CaptureFixture[str], settings: Settings, *argv: str
) -> str:
    capsys.readouterr()
    assert await run(list(argv), settings) == 0, capsys.readouterr().err
    return capsys.readouterr().out


PLACE = ("--tenant", TENANT, "--system", "crm", "--entity", "contact", "c1")


async def test_record_as_json_and_as_a_line(
    h: Harness, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    line = await out_of(capsys, settings, "record", *PLACE)
    assert line.strip().endswith(
        "crm contact c1 (Ann Lee <ann@example.com>): synced with qbo customer q1"
    )
    shown = json.loads(await out_of(capsys, settings, "record", *PLACE, "--json"))
    assert shown["state"]["state"] == "synced"
    assert shown["link"]["qbo_id"] == "q1"
    assert [e["action"] for e in shown["history"]] == ["created", "create"]
    unseen = ("--tenant", TENANT, "--system", "qbo", "--entity", "item", "i9")
    never = json.loads(await out_of(capsys, settings, "record", *unseen, "--json"))
    assert never["state"]["state"] == "not seen yet"


async def test_records_find_links_show_and_parked_list(
    h: Harness, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    found = await out_of(capsys, settings, "records", "find", "ANN@example.com")
    assert "crm contact c1 (Ann Lee <ann@example.com>): synced" in found
    assert f"1 found in {TENANT}" in found
    rows = await out_of(
        capsys, settings, "records", "find", "--tenant", TENANT, "lee", "--json"
    )
    assert {json.loads(row)["external_id"] for row in rows.splitlines()} == {"c1"}
    waiting = await out_of(
        capsys, settings, "records", "find", "--state", "waiting", "--json"
    )
    assert [json.loads(row)["external_id"] for row in waiting.splitlines()] == ["inv1"]

    link = await out_of(capsys, settings, "links", "show", *PLACE)
    assert "CRM c1 ⇄ QBO q1" in link
    assert '  email = "ann@example.com"' in link
    as_json = json.loads(
        await out_of(capsys, settings, "links", "show", *PLACE, "--json")
    )
    assert as_json["base"]["last_name"] == "Lee"

    parked = await out_of(capsys, settings, "parked", "list", "--tenant", TENANT)
    assert "crm invoice inv1  waiting on crm:contact:c9" in parked
    listed = await out_of(capsys, settings, "parked", "list", "--json")
    assert json.loads(listed.splitlines()[0])["external_id"] == "inv1"


async def test_mistakes_are_one_line(
    h: Harness, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["links", "show", "--tenant", TENANT, "--system", "qbo", "--entity"]
    assert await run([*argv, "customer", "q404"], settings) == 1
    assert capsys.readouterr().err == (
        f"syncctl: no link for qbo customer q404 ({TENANT})\n"
    )
    assert await run([*argv, "contact", "q1"], settings) == 2
    assert "unknown qbo entity 'contact'" in capsys.readouterr().err
    # No gateway runs here: nothing is requested, whatever the wait.
    assert await run(["force-sync", *PLACE, "--wait", "5"], settings) == 1
    err = capsys.readouterr().err
    assert "nothing was started" in err
    assert err.count("\n") == 1
    with pytest.raises(SystemExit):
        await run(["force-sync", *PLACE, "--wait", "500"], settings)
