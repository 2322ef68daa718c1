"""Two matcher instances on one MongoDB database, fed conflicting events for
the same record at once (interleaved by asyncio; the bus would retry a
RetriableError, so the test does too)."""

from __future__ import annotations

import asyncio
import random

import pytest

from common.errors import RetriableError
from common.messages import Envelope
from common.store import Store
from services.matcher.bootstrap import bootstrap
from services.matcher.handlers import Matcher
from tests.matcher.harness import (
    TENANT,
    Harness,
    command_of,
    contact,
    customer,
    writes,
)

pytestmark = pytest.mark.integration


async def deliver(matcher: Matcher, envelope: Envelope, sent: list[Envelope]) -> None:
    for _ in range(20):
        try:
            sent += await matcher.handle(envelope)
            return
        except RetriableError:
            await asyncio.sleep(random.uniform(0, 0.01))
    raise AssertionError(f"{envelope.routing_key} never went through")


@pytest.mark.parametrize("round_", range(5))
async def test_two_matchers_same_record_one_link_no_duplicate_create(
    store: Store, round_: int
) -> None:
    one, two = await bootstrap(store), await bootstrap(store)
    h = Harness(one, one.repository)
    sent: list[Envelope] = []
    crm_v1 = h.change("crm", "contact", "c1", contact(phone="1"))
    crm_v2 = h.change("crm", "contact", "c1", contact(phone="2"))
    qbo = h.change("qbo", "customer", "q1", customer(), seq=0)
    await asyncio.gather(
        deliver(one, crm_v1, sent), deliver(two, crm_v2, sent), deliver(two, qbo, sent)
    )

    link = await one.repository.link_of(TENANT, "contact", "crm", "c1")
    assert link is not None
    assert link == await two.repository.link_of(
        TENANT, "contact", "qbo", link.qbo_id or "-"
    )
    creates = [w for w in writes(sent) if w.external_id is None]
    assert len([w for w in creates if w.system == "qbo"]) <= 1
    assert len([w for w in creates if w.system == "crm"]) <= 1
    # a create the mirror could not prevent carries the key the gateway re-checks
    assert all(command_of(w).match_key == "ann@example.com" for w in creates)
    # let the gateways answer: both sides end up in one link, c1 ⇄ q1
    for create in creates:
        target = "q1" if create.system == "qbo" else "c1"
        await deliver(one, h.written(create, target), sent)
    final = await one.repository.link_of(TENANT, "contact", "crm", "c1")
    assert final is not None
    assert (final.crm_id, final.qbo_id) == ("c1", "q1")
    assert await one.repository.link_of(TENANT, "contact", "qbo", "q1") == final
