"""Bulk echoes: the change notice of a record a gateway wrote for a backfill
travels in the bulk lane; a person's change of any other record is live."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from common.gateway.echoes import POLL_BULK_AT, BulkEchoes, Handler, catching_up
from common.messages import Envelope, Lane, WriteOutcome
from common.payloads import FetchPayload

pytestmark = pytest.mark.unit


def write(lane: Lane, external_id: str | None = None) -> Envelope:
    return Envelope(
        kind="write",
        tenant="t",
        system="qbo",
        entity="customer",
        external_id=external_id,
        lane=lane,
        payload={"record": {}, "idempotency_key": "k"},
    )


def outcome(command: Envelope, ok: bool, external_id: str | None) -> Envelope:
    result = WriteOutcome(ok=ok, idempotency_key="k")
    return command.caused(
        key="written",
        kind="written",
        external_id=external_id,
        payload=result.model_dump(mode="json"),
    )


def poll() -> Envelope:
    return Envelope(kind="poll", tenant="t", system="qbo", entity="customer")


async def test_what_a_bulk_write_made_comes_back_in_the_bulk_lane() -> None:
    echoes = BulkEchoes()

    def answering(ok: bool, external_id: str | None) -> Handler:
        async def handler(envelope: Envelope) -> Sequence[Envelope]:
            return [outcome(envelope, ok, external_id)]

        return echoes.remembering(handler)

    (out,) = await answering(True, "61")(write("bulk"))
    assert out.lane == "bulk"
    assert out.routing_key == "bulk.written.qbo.customer.t"
    await answering(True, "62")(write("live"))
    await answering(False, "63")(write("bulk", "63"))
    assert echoes.lane_of(poll(), "customer", "61") == "bulk"
    assert echoes.lane_of(poll(), "customer", "62") == "live"  # a person's
    assert echoes.lane_of(poll(), "customer", "63") == "live"  # not written
    assert echoes.lane_of(poll(), "vendor", "61") == "live"  # another entity
    other = poll().model_copy(update={"tenant": "u"})
    assert echoes.lane_of(other, "customer", "61") == "live"  # another tenant


def test_the_memory_is_short_and_bounded() -> None:
    now = [0.0]
    echoes = BulkEchoes(seconds=10, limit=3, clock=lambda: now[0])
    for n in range(4):
        echoes.wrote("t", "customer", str(n))
    # The oldest is forgotten first when the memory is full.
    assert echoes.lane_of(poll(), "customer", "0") == "live"
    assert echoes.lane_of(poll(), "customer", "3") == "bulk"
    now[0] = 10.5
    assert echoes.lane_of(poll(), "customer", "3") == "live"


def test_bulk_work_causes_bulk_work() -> None:
    change = poll().model_copy(update={"lane": "bulk"})
    assert BulkEchoes().lane_of(change, "customer", "1") == "bulk"
    caused = change.caused(key="x", kind="write")
    assert caused.lane == "bulk"
    assert caused.routing_key == "bulk.write.qbo.customer.t"


def test_a_webhooks_fetch_of_echoes_goes_in_the_bulk_lane() -> None:
    echoes = BulkEchoes()
    echoes.wrote("t", "customer", "61")
    echoes.wrote("t", "customer", "62")

    def fetch(ids: list[str]) -> Envelope:
        return Envelope(
            kind="fetch",
            tenant="t",
            system="qbo",
            entity="customer",
            payload=FetchPayload(ids=ids, source="webhook").wire(),
        )

    mixed = fetch(["61", "7", "62"])
    bulk, live = echoes.sorted_fetches([mixed])
    assert bulk.lane == "bulk"
    assert bulk.payload_as(FetchPayload).ids == ["61", "62"]
    assert live.lane == "live"
    assert live.payload_as(FetchPayload).ids == ["7"]
    assert live.event_id == mixed.event_id  # a redelivered webhook: same ids
    assert echoes.sorted_fetches([mixed])[0].event_id == bulk.event_id
    (only_echoes,) = echoes.sorted_fetches([fetch(["61"])])
    assert only_echoes.lane == "bulk"
    (person,) = echoes.sorted_fetches([fetch(["8"])])
    assert person.lane == "live"


def test_a_poll_that_finds_many_changes_sends_them_in_the_bulk_lane() -> None:
    def change(n: int) -> Envelope:
        return Envelope(
            kind="change",
            tenant="t",
            system="qbo",
            entity="customer",
            external_id=str(n),
        )

    few = [change(n) for n in range(POLL_BULK_AT - 1)]
    assert [c.lane for c in catching_up(few)] == ["live"] * len(few)
    many = [change(n) for n in range(POLL_BULK_AT)]
    caught_up = catching_up(many)
    assert {c.lane for c in caught_up} == {"bulk"}
    assert caught_up[0].routing_key.startswith("bulk.change.qbo.customer")
    assert [c.event_id for c in caught_up] == [c.event_id for c in many]
