"""The sweep (``command.<system>.*`` ``{"action": "sweep"}``): the safety net
that finishes what the event-driven path left stuck."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from common.errors import PermanentError, classify
from common.messages import Envelope, Lane
from tests.matcher.harness import TENANT, Harness, contact, writes
from tests.matcher.test_rules_products_documents import (
    invoice,
    linked_contact,
    linked_product,
)

pytestmark = pytest.mark.unit


def fetched(out: list[Envelope]) -> list[str]:
    return sorted(f"{e.routing_key}:{e.external_id}" for e in out if e.kind == "fetch")


async def test_sweep_resends_a_write_that_never_reached_the_gateway(
    any_harness: Harness,
) -> None:
    h = any_harness
    await linked_contact(h)
    await linked_product(h, "p1", "i1")
    out = await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p1")))
    [lost] = writes(out)  # say its handler failed later and was dead-lettered

    assert writes(await h.send(h.sweep("qbo"))) == []  # in flight for a moment only
    assert writes(await h.send(h.sweep("crm", resend_after=0))) == []  # not its side
    sweep = h.sweep("qbo", resend_after=0)
    [again] = writes(await h.send(sweep))
    # Verbatim: the same event id, so a gateway that did it drops the copy.
    assert again == lost
    assert writes(await h.send(sweep)) == [again]  # the sweep redelivered

    await h.send(h.written(again, "qi1"))
    assert writes(await h.send(h.sweep("qbo", resend_after=0))) == []
    link = await h.repo.link_of(TENANT, "invoice", "crm", "inv1")
    assert link is not None
    assert link.complete
    assert not link.pending


class QueuedWrites:
    """The broker's answer, as the sweep asks it: writes ready per lane."""

    def __init__(self) -> None:
        self.ready: dict[str, int] = {}
        self.confirmations: dict[str, int] = {}
        self.asked: list[tuple[str, str, str]] = []

    async def waiting(self, system: str, tenant: str, lane: Lane) -> int:
        self.asked.append((system, tenant, lane))
        return self.ready.get(lane, 0) + self.confirmations.get(lane, 0)


async def invoice_write_in_flight(h: Harness) -> tuple[QueuedWrites, Envelope]:
    """An invoice's write to QBO sent and unconfirmed, the queues counted
    by ``QueuedWrites``."""
    queues = QueuedWrites()
    h.matcher.backlogs = queues
    await linked_contact(h)
    await linked_product(h, "p1", "i1")
    out = await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p1")))
    [waiting] = writes(out)
    return queues, waiting


async def test_sweep_holds_a_write_back_while_its_queue_holds_writes(
    any_harness: Harness,
) -> None:
    h = any_harness
    queues, waiting = await invoice_write_in_flight(h)
    # 500 writes ahead of it in its lane's queue: paced by the quota, not lost.
    queues.ready[waiting.lane] = 500
    assert writes(await h.send(h.sweep("qbo", resend_after=0))) == []
    assert ("qbo", TENANT, waiting.lane) in queues.asked
    queues.ready[waiting.lane] = 0  # the queue drained and it is still unconfirmed
    assert writes(await h.send(h.sweep("qbo", resend_after=0))) == [waiting]


async def test_while_a_backfill_is_queued_the_sweep_re_sends_nothing(
    any_harness: Harness,
) -> None:
    h = any_harness
    queues, waiting = await invoice_write_in_flight(h)
    queues.ready["bulk"] = 10_000  # another record's backfill towards QBO
    assert writes(await h.send(h.sweep("qbo", resend_after=0))) == []
    queues.ready["bulk"] = 0
    # The backfill's writes are done, their confirmations queued at the
    # matcher behind its bulk work: still nothing is re-sent.
    queues.confirmations["bulk"] = 20_000
    assert writes(await h.send(h.sweep("qbo", resend_after=0))) == []
    queues.confirmations["bulk"] = 0
    assert writes(await h.send(h.sweep("qbo", resend_after=0))) == [waiting]


async def test_sweep_resumes_a_parked_document_nobody_resumed(
    any_harness: Harness,
) -> None:
    h = any_harness
    await linked_contact(h)
    await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p1")))
    [parked] = await h.repo.parked_of(TENANT, "crm")
    # The message that should have resumed it never found it (lost, or it
    # lost a race and gave up): p1 links while the entry is out of sight.
    await h.repo.unpark(parked)
    await linked_product(h, "p1", "i1")
    await h.repo.park(parked)
    assert writes(h.sent, "write.qbo.invoice") == []

    sweep = h.sweep("crm")
    [pushed] = writes(await h.send(sweep), "write.qbo.invoice")
    assert pushed.payload["record"]["lines"][0]["product_id"] == "i1"
    assert writes(await h.send(sweep), "write.qbo.invoice") == [pushed]  # redelivered
    assert writes(await h.send(h.sweep("crm")), "write.qbo.invoice") == []  # in flight
    await h.send(h.written(pushed, "qi1"))
    assert await h.repo.parked_of(TENANT, "crm") == []


async def test_sweep_drops_a_parked_entry_whose_document_is_done(
    any_harness: Harness,
) -> None:
    h = any_harness
    await linked_contact(h)
    await linked_product(h, "p1", "i1")
    await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p9")))
    [parked] = await h.repo.parked_of(TENANT, "crm")
    [create] = writes(
        await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p1")))
    )
    await h.send(h.written(create, "qi1"))
    await h.repo.park(parked)  # brought back by a late, slow resume

    assert writes(await h.send(h.sweep("crm"))) == []
    assert await h.repo.parked_of(TENANT, "crm") == []


async def test_sweep_fetches_dependencies_still_missing_after_a_while(
    any_harness: Harness,
) -> None:
    h = any_harness
    with pytest.raises(PermanentError, match="missing email"):
        await h.send(h.change("crm", "contact", "c1", contact(email=None)))
    out = await h.send(h.change("crm", "invoice", "inv1", invoice("c1", "p9")))
    assert fetched(out) == ["fetch.crm.contact:c1", "fetch.crm.product:p9"]

    assert fetched(await h.send(h.sweep("crm"))) == []  # parked just now
    sweep = h.sweep("crm", refetch_after=0)
    out = await h.send(sweep)
    # The refused contact waits for a person; the unknown product is re-read.
    assert fetched(out) == ["fetch.crm.product:p9"]
    assert fetched(await h.send(sweep)) == fetched(out)  # the sweep redelivered
    assert [e.event_id for e in await h.send(sweep)] == [e.event_id for e in out]
    [parked] = await h.repo.parked_of(TENANT, "crm")
    assert parked.refetches == 1
    assert parked.fetched_by == str(sweep.event_id)
    # Once re-fetched, the next try waits (twice as long each time).
    assert fetched(await h.send(h.sweep("crm", refetch_after=3600))) == []
    assert fetched(await h.send(h.sweep("qbo", refetch_after=0))) == []  # not its side


async def test_sweep_with_nothing_to_do_emits_nothing(any_harness: Harness) -> None:
    h = any_harness
    await linked_contact(h)
    for system in ("crm", "qbo"):
        assert await h.send(h.sweep(system, refetch_after=0, resend_after=0)) == []


async def test_unknown_command_is_refused(harness: Harness) -> None:
    h = harness
    bad = h.sweep("crm").model_copy(update={"payload": {"action": "tidy"}})
    with pytest.raises(ValidationError, match="action") as caught:
        await h.send(bad)  # the consumer refuses it first, the same way
    assert classify(caught.value, bad.payload) == "permanent"
    force = h.sweep("crm").model_copy(update={"payload": {"action": "force_sync"}})
    with pytest.raises(PermanentError, match="external_id"):
        await h.send(force)
