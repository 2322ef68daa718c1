"""The dead letters' API over real dead letters: made by a real consumer on
real RabbitMQ whose handler refuses records until a test "fixes" them, read
and acted on through the console's HTTP API (every answer checked against
the OpenAPI document)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from common.bus import Bus, Consumer, DeadLetters, QueueSpec
from common.errors import PermanentError
from common.inbox import Inbox
from common.messages import Envelope, Version
from common.store import Store
from tests.admin.conftest import RunningConsole
from tests.support import wait_for

pytestmark = pytest.mark.integration

SPEC = QueueSpec("letters", ("change.crm.*",))
TENANT = "acme"
PEOPLE = {
    "c1": ("Ann", "Lee", "ann@lee.example"),
    "c2": ("Bo", "Diaz", "bo@diaz.example"),
    "c3": ("Cy", "Park", None),
}


def change(external_id: str, **extra: Any) -> Envelope:
    given, family, email = PEOPLE[external_id]
    record = {"first_name": given, "last_name": family, "email": email, **extra}
    return Envelope(
        kind="change",
        tenant=TENANT,
        system="crm",
        entity="contact",
        external_id=external_id,
        version=Version(updated_at=datetime(2025, 1, 1, tzinfo=UTC)),
        payload={"record": record, "source": "webhook"},
    )


@dataclass
class Refusing:
    """What the handler refuses, and what it has been given."""

    fixed: set[str] = field(default_factory=set)
    seen: list[Envelope] = field(default_factory=list)


@pytest.fixture
async def refusing(bus: Bus, store: Store) -> AsyncIterator[Refusing]:
    """A consumer refusing a contact until its id is in ``fixed``: with an
    email, as linked already to another record (the same cause, its own
    ids and email in the reason); without one, as missing its email."""
    state = Refusing()

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        state.seen.append(envelope)
        if envelope.external_id in state.fixed:
            return []
        email = (envelope.payload.get("record") or {}).get("email")
        if email is None:
            raise PermanentError("missing email")
        number = 60 + len(state.seen)
        raise PermanentError(
            f"QBO customer {number} matches on email {email} but is linked "
            f"already to CRM contact {envelope.external_id}"
        )

    consumer = Consumer(
        bus, SPEC, handler, inbox=Inbox(store), dead_letters=DeadLetters(store, bus)
    )
    await consumer.start()
    yield state
    await consumer.stop()


async def letters_made(store: Store, count: int) -> None:
    async def made() -> bool:
        return await store.db["dead_letters"].count_documents({}) == count

    await wait_for(made)


async def three_letters(bus: Bus, store: Store) -> None:
    for external_id in PEOPLE:
        await bus.publish(change(external_id))
    await letters_made(store, 3)


def group_of(answer: dict[str, Any], external_id: str) -> dict[str, Any]:
    for group in answer["groups"]:
        if any(item["external_id"] == external_id for item in group["items"]):
            return dict(group)
    raise AssertionError(f"no group holds {external_id}: {answer}")


async def test_letters_are_grouped_by_cause_and_name_their_records(
    running_console: RunningConsole, bus: Bus, store: Store, refusing: Refusing
) -> None:
    await three_letters(bus, store)
    api = running_console.api

    answer = await api.get("/api/dead-letters")

    assert answer["total"] == 3
    assert len(answer["groups"]) == 2
    linked, missing = group_of(answer, "c1"), group_of(answer, "c3")
    assert group_of(answer, "c2")["key"] == linked["key"]
    assert linked["count"] == 2
    assert linked["cause"] == (
        "QBO customer # matches on email … but is linked already to CRM contact #"
    )
    assert (missing["count"], missing["cause"]) == (1, "missing email")
    assert linked["error_class"] == "permanent"
    assert linked["queue"] == "letters"
    ann = next(item for item in linked["items"] if item["external_id"] == "c1")
    assert (ann["side"], ann["module"], ann["label"]) == (
        "Zoho CRM",
        "Contacts",
        "Ann Lee <ann@lee.example>",
    )
    assert "ann@lee.example" in ann["reason"]  # the item keeps its own reason
    assert ann["occurrences"] == 1
    assert ann["routing_key"] == "change.crm.contact"
    # Newest group first; the same key on every request.
    assert answer["groups"][0]["newest"] >= answer["groups"][1]["newest"]
    again = await api.get("/api/dead-letters")
    assert {g["key"] for g in again["groups"]} == {linked["key"], missing["key"]}

    assert (await api.get("/api/dead-letters", tenant="globex"))["total"] == 0
    assert (await api.get("/api/dead-letters", system="qbo"))["total"] == 0
    found = await api.get("/api/dead-letters", system="crm", entity="contact")
    assert found["total"] == 3
    assert (await api.get("/api/dead-letters", error_class="retriable"))["groups"] == []
    limited = await api.get("/api/dead-letters", limit="1")
    [cut] = [group for group in limited["groups"] if group["key"] == linked["key"]]
    assert (cut["count"], len(cut["items"])) == (2, 1)  # counted, not all listed


@pytest.mark.parametrize(
    "query",
    [
        {"system": "xero"},
        {"entity": "spaceship"},
        {"system": "qbo", "entity": "contact"},
        {"limit": "0"},
        {"limit": "many"},
        {"error_class": "fatal"},
    ],
)
async def test_a_malformed_filter_is_a_400(
    running_console: RunningConsole, query: dict[str, str]
) -> None:
    status, body = await running_console.api.call(
        "GET", "/api/dead-letters", params=query
    )
    assert status == 400, body
    assert body["error"]


async def test_one_letter_whole_never_shows_a_credential(
    running_console: RunningConsole, bus: Bus, store: Store, refusing: Refusing
) -> None:
    secret = "sk_live_do_not_show_0123456789"
    await bus.publish(
        change("c3", api_key=secret, notes=f"Authorization: Bearer {secret}")
    )
    await letters_made(store, 1)
    [letter] = await store.db["dead_letters"].find({}).to_list(None)
    assert secret in letter["body"]  # the stored message holds it

    status, shown = await running_console.api.call(
        "GET", f"/api/dead-letters/{letter['_id']}"
    )

    assert status == 200, shown
    assert secret not in str(shown)
    record = shown["body"]["payload"]["record"]
    assert record["api_key"] == "***"
    assert record["first_name"] == "Cy"
    assert shown["body"]["external_id"] == "c3"
    assert (shown["side"], shown["label"], shown["cause"]) == (
        "Zoho CRM",
        "Cy Park",
        "missing email",
    )
    status, body = await running_console.api.call(
        "GET", "/api/dead-letters/letters:nothing-here"
    )
    assert status == 404, body


async def outcomes(api: Any, replay_ids: list[str]) -> dict[str, dict[str, Any]]:
    answer = await api.get("/api/dead-letters/replays", ids=",".join(replay_ids))
    return {replay["dead_letter_id"]: replay for replay in answer["replays"]}


async def test_a_selection_is_replayed_and_each_outcome_follows(
    running_console: RunningConsole, bus: Bus, store: Store, refusing: Refusing
) -> None:
    await three_letters(bus, store)
    api = running_console.api
    by_record = {
        letter["external_id"]: letter["_id"]
        for letter in await store.db["dead_letters"].find({}).to_list(None)
    }
    refusing.fixed.add("c1")  # Ann's cause is fixed; Cy's is not

    answer = await api.post(
        "/api/dead-letters/replay",
        {"ids": [by_record["c1"], by_record["c3"], "letters:unknown"]},
    )

    assert answer["replayed"] == 2
    results = {result["id"]: result for result in answer["results"]}
    assert results["letters:unknown"] == {
        "id": "letters:unknown",
        "done": False,
        "error": "no such dead letter",
    }
    assert "not found: letters:unknown" in answer["message"]
    replay_ids = [results[by_record[r]]["replay"] for r in ("c1", "c3")]

    async def known() -> bool:
        found = await outcomes(api, replay_ids)
        return all(replay["outcome"] != "in progress" for replay in found.values())

    await wait_for(known)
    found = await outcomes(api, replay_ids)
    ann, cy = found[by_record["c1"]], found[by_record["c3"]]
    assert ann["outcome"] == "done"
    assert ann["record"] == "Zoho CRM Contacts c1 (Ann Lee <ann@lee.example>)"
    # No matcher here: the record's state is read all the same.
    assert ann["record_state"]["state"] == "not seen yet"
    assert ann["settled"] is False  # a matcher would decide it next
    assert cy["settled"] is True
    assert ann["by"] == "console"
    assert cy["outcome"] == "failed again"
    assert cy["reason"] == "missing email"
    assert await store.db["dead_letters"].count_documents({}) == 2  # Bo's, Cy's
    recent = await api.get("/api/dead-letters/replays")
    assert {r["id"] for r in recent["replays"]} == set(replay_ids)


async def test_a_whole_group_is_replayed_or_discarded_by_its_key(
    running_console: RunningConsole, bus: Bus, store: Store, refusing: Refusing
) -> None:
    await three_letters(bus, store)
    api = running_console.api
    listed = await api.get("/api/dead-letters")
    linked, missing = group_of(listed, "c1"), group_of(listed, "c3")
    refusing.fixed.update({"c1", "c2"})

    answer = await api.post("/api/dead-letters/replay", {"group": linked["key"]})

    assert answer["replayed"] == 2
    assert answer["message"] == "replayed 2 dead letters"

    async def both_done() -> bool:
        ids = [result["replay"] for result in answer["results"]]
        found = await outcomes(api, ids)
        return {r["outcome"] for r in found.values()} == {"done"}

    await wait_for(both_done)
    left = await api.get("/api/dead-letters")
    assert [group["key"] for group in left["groups"]] == [missing["key"]]

    discarded = await api.post("/api/dead-letters/discard", {"group": missing["key"]})
    assert discarded["discarded"] == 1
    assert (await api.get("/api/dead-letters"))["total"] == 0
    status, body = await api.call(
        "POST", "/api/dead-letters/replay", json={"group": missing["key"]}
    )
    assert status == 404, body


async def test_discarding_a_selection_reports_unknown_ids(
    running_console: RunningConsole, bus: Bus, store: Store, refusing: Refusing
) -> None:
    await three_letters(bus, store)
    [first, *_] = await store.db["dead_letters"].find({}).to_list(None)

    answer = await running_console.api.post(
        "/api/dead-letters/discard", {"ids": [first["_id"], "nope", first["_id"]]}
    )

    assert answer["discarded"] == 1
    assert [r["id"] for r in answer["results"] if not r["done"]] == ["nope"]
    assert await store.db["dead_letters"].count_documents({}) == 2
    assert len(refusing.seen) == 3  # discarded, not replayed


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": "letters:x"},
        {"ids": [""]},
        {"ids": ["letters:x"], "group": "abc"},
        {"group": ""},
        {"group": "abc", "all": True},
        [1, 2],
    ],
)
@pytest.mark.parametrize("action", ["replay", "discard"])
async def test_a_malformed_selection_is_a_400(
    running_console: RunningConsole, body: Any, action: str
) -> None:
    status, answer = await running_console.api.call(
        "POST", f"/api/dead-letters/{action}", json=body
    )
    assert status == 400, answer
    assert answer["error"]


async def test_a_body_that_is_not_json_is_a_400(
    running_console: RunningConsole,
) -> None:
    async with running_console.http.post(
        f"{running_console.base}/api/dead-letters/replay",
        data=b"{ids: nope",
        headers={
            "Authorization": f"Bearer {running_console.api.token}",
            "Content-Type": "application/json",
        },
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]


async def test_the_page_shows_each_group_with_its_records_and_actions(
    running_console: RunningConsole, bus: Bus, store: Store, refusing: Refusing
) -> None:
    await three_letters(bus, store)
    api = running_console.api
    listed = await api.get("/api/dead-letters")
    linked = group_of(listed, "c1")

    status, html = await api.call("GET", "/ui/dead-letters", params={"system": "crm"})

    assert status == 200, html
    assert html.count('<details class="dl-group"') == 2
    assert f'data-group="{linked["key"]}"' in html
    assert "Ann Lee &lt;ann@lee.example&gt;" in html  # escaped, never markup
    assert html.count('name="ids"') == 3
    assert 'data-live="2"' in html  # the replays' outcomes update by themselves
    for label in ("Replay selected", "Discard selected", "Replay group"):
        assert label in html
    status, html = await api.call("GET", "/ui/dead-letters", params={"system": "x"})
    assert status == 400
    assert "system" in html
