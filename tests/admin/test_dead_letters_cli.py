"""`syncctl dead-letters` over real dead letters: groups, group actions and
`replay --wait` printing each outcome once known."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from common.bus import Bus, DeadLetters, Failure
from common.settings import Settings
from common.store import Store
from services.admin.syncctl import run
from tests.admin.test_dead_letters_api import Refusing, refusing, three_letters

pytestmark = pytest.mark.integration
__all__ = ["refusing"]  # the fixture, used by name


def json_lines(out: str) -> list[Any]:
    """The command's JSON lines (the consumer's log lines may be between)."""
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


async def test_groups_then_a_group_replayed_and_waited_for(
    settings: Settings,
    bus: Bus,
    store: Store,
    refusing: Refusing,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await three_letters(bus, store)
    capsys.readouterr()

    assert await run(["dead-letters", "groups", "--json"], settings) == 0
    found = json_lines(capsys.readouterr().out)[0]
    by_cause = {group["cause"]: group for group in found["groups"]}
    linked = by_cause[
        "QBO customer # matches on email … but is linked already to CRM contact #"
    ]
    missing = by_cause["missing email"]
    assert linked["count"] == 2

    assert await run(["dead-letters", "groups"], settings) == 0
    out = capsys.readouterr().out
    assert f"{linked['key']}  2x  [permanent] QBO customer # matches" in out
    assert "Zoho CRM Contacts c1 (Ann Lee <ann@lee.example>)" in out
    assert "3 dead letters in 2 groups" in out

    refusing.fixed.update({"c1", "c2"})
    # Handled, but no matcher here to sync the records: still on their way
    # at the deadline.
    argv = ["dead-letters", "replay", "--group", linked["key"], "--wait", "2"]
    assert await run(argv, settings) == 0
    out = capsys.readouterr().out
    assert out.count("replayed letters:") == 2
    assert (
        "letters:acme|crm|contact|c1  Zoho CRM Contacts c1 "
        "(Ann Lee <ann@lee.example>): still in progress (done: record not seen yet)"
    ) in out
    assert "Zoho CRM Contacts c2 (Bo Diaz <bo@diaz.example>): still in" in out

    [cy] = [item["id"] for item in missing["items"]]
    assert await run(["dead-letters", "replay", cy, "--wait", "10"], settings) == 1
    assert f"{cy}  Zoho CRM Contacts c3 (Cy Park): failed again: missing email" in (
        capsys.readouterr().out
    )

    assert await run(["dead-letters", "replays", "--json"], settings) == 0
    lines = json_lines(capsys.readouterr().out)
    assert sorted(replay["outcome"] for replay in lines) == [
        "done",
        "done",
        "failed again",
    ]

    assert (
        await run(["dead-letters", "discard", "--group", missing["key"]], settings) == 0
    )
    assert f"discarded {cy}" in capsys.readouterr().out
    assert await DeadLetters(store, bus).count() == 0
    assert (
        await run(["dead-letters", "discard", "--group", missing["key"]], settings) == 1
    )
    assert "no dead letters in group" in capsys.readouterr().err


async def test_a_replay_nobody_handles_is_still_in_progress_at_the_deadline(
    settings: Settings, bus: Bus, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    await bus.declare_service_queues("matcher")  # declared, consumed by nobody
    now = datetime.now(UTC)
    letter = await DeadLetters(store, bus).record(
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
            event_id="e1",
            tenant="acme",
            system="crm",
            entity="contact",
            external_id="c9",
            label="Di Roe",
        )
    )
    capsys.readouterr()

    argv = ["dead-letters", "replay", letter, "--wait", "0.3"]
    assert await run(argv, settings) == 0

    out = capsys.readouterr().out
    assert f"{letter}  Zoho CRM Contacts c9 (Di Roe): still in progress" in out
    assert await bus.queue_depth(bus.names.queue("matcher.events")) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["dead-letters", "replay"],
        ["dead-letters", "replay", "x", "--group", "k"],
        ["dead-letters", "replay", "--all", "--group", "k"],
        ["dead-letters", "discard"],
        ["dead-letters", "discard", "x", "--group", "k"],
    ],
)
async def test_a_malformed_command_is_a_usage_error(
    settings: Settings, argv: list[str]
) -> None:
    assert await run(argv, settings) == 2
