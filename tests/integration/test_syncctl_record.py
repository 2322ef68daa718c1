"""`syncctl record`: every record in exactly one state a person can read —
synced, waiting (on what), refused or failed (why), or not seen yet — from
the documents the real matcher wrote on the embedded store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.bus import Bus, DeadLetters
from common.errors import PermanentError
from common.gateway.refusals import Refusals, Refused
from common.messages import Envelope
from common.settings import Settings
from common.store import Store
from services.admin.syncctl import run
from services.matcher.bootstrap import bootstrap
from services.matcher.handlers import Matcher
from tests.matcher.harness import TENANT, Harness, contact, writes

pytestmark = pytest.mark.integration


async def said(
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    system: str,
    entity: str,
    record_id: str,
) -> str:
    argv = ["record", "--tenant", TENANT, "--system", system, "--entity", entity]
    assert await run([*argv, record_id], settings) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]  # after any log lines


@pytest.fixture
async def h(store: Store) -> Harness:
    matcher: Matcher = await bootstrap(store)
    return Harness(matcher, matcher.repository)


async def test_each_state_of_a_record(
    h: Harness, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async def state(system: str, entity: str, record_id: str) -> str:
        return await said(settings, capsys, system, entity, record_id)

    assert await state("crm", "contact", "c1") == "crm contact c1: not seen yet"

    with pytest.raises(PermanentError):
        await h.send(h.change("crm", "contact", "c1", contact(email=None)))
    assert await state("crm", "contact", "c1") == (
        "crm contact c1 (Ann Lee): refused: missing email"
    )

    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    assert await state("crm", "contact", "c1") == (
        "crm contact c1 (Ann Lee <ann@example.com>): waiting on its create in "
        "QuickBooks"
    )

    invoice = {"kind": "invoice", "party_id": "c1", "lines": []}
    await h.send(h.change("crm", "invoice", "inv1", invoice))
    assert await state("crm", "invoice", "inv1") == (
        "crm invoice inv1: waiting on crm contact c1"
    )

    await h.send(h.written(create, "q1"))
    assert await state("crm", "contact", "c1") == (
        "crm contact c1 (Ann Lee <ann@example.com>): synced with qbo customer q1"
    )
    assert "synced with crm contact c1" in await state("qbo", "customer", "q1")

    [item] = writes(await h.send(h.change("crm", "product", "p1", {"name": "W"})))
    with pytest.raises(PermanentError):
        await h.send(h.written(item, ok=False, reason="Duplicate Name Exists Error"))
    assert await state("crm", "product", "p1") == (
        "crm product p1 (W): failed: QBO refused the item write: "
        "Duplicate Name Exists Error"
    )

    retired = {"display_name": "Old Co", "email": "old@example.com", "active": False}
    assert await h.send(h.change("qbo", "customer", "q9", retired, seq=1)) == []
    assert await state("qbo", "customer", "q9") == (
        "qbo customer q9 (Old Co <old@example.com>): deleted (inactive in "
        "QuickBooks before it was ever synced)"
    )


async def test_a_record_its_gateway_could_not_read(
    bus: Bus, store: Store, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    cause = Envelope(
        kind="poll",
        tenant=TENANT,
        system="qbo",
        entity="invoice",
        occurred_at=datetime.now(UTC),
    )
    await Refusals(DeadLetters(store, bus), "qbo_gateway.tasks").record(
        cause, [Refused("77", "QBO Invoice 77 (R-2) cannot be translated: a list")]
    )
    assert await said(settings, capsys, "qbo", "invoice", "77") == (
        "qbo invoice 77: refused: QBO Invoice 77 (R-2) cannot be translated: a list"
    )


async def test_an_unknown_entity_is_a_usage_error(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["record", "--tenant", TENANT, "--system", "qbo", "--entity", "contact"]
    assert await run([*argv, "1"], settings) == 2
    assert "unknown qbo entity 'contact'" in capsys.readouterr().err
