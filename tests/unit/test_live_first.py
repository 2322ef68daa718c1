"""LiveFirst: a bulk message waits while live ones are in hand, not forever."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from common.lanes import LiveFirst
from common.messages import Envelope

pytestmark = pytest.mark.unit


def message(lane: str, tenant: str = "t") -> Envelope:
    return Envelope(
        kind="change",
        tenant=tenant,
        system="crm",
        entity="contact",
        external_id="1",
        lane=lane,
    )


async def test_bulk_starts_after_the_live_message_in_hand() -> None:
    started: list[str] = []
    release = asyncio.Event()

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        started.append(envelope.lane)
        if envelope.lane == "live":
            await release.wait()
        return []

    handle = LiveFirst(bulk_yield=5.0).wrap(handler)
    live = asyncio.ensure_future(handle(message("live")))
    await asyncio.sleep(0.01)
    bulk = asyncio.ensure_future(handle(message("bulk")))
    await asyncio.sleep(0.05)
    assert started == ["live"]  # the bulk message waits
    release.set()
    await asyncio.wait_for(asyncio.gather(live, bulk), 1)
    assert started == ["live", "bulk"]


async def test_bulk_goes_anyway_after_its_longest_wait() -> None:
    started: list[str] = []
    never = asyncio.Event()

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        started.append(envelope.lane)
        if envelope.lane == "live":
            await never.wait()
        return []

    handle = LiveFirst(bulk_yield=0.1).wrap(handler)
    live = asyncio.ensure_future(handle(message("live")))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(handle(message("bulk")), 1)
    assert started == ["live", "bulk"]
    live.cancel()


async def test_a_failing_live_message_does_not_hold_bulk_back() -> None:
    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        if envelope.lane == "live":
            raise RuntimeError("refused")
        return [envelope]

    handle = LiveFirst(bulk_yield=5.0).wrap(handler)
    with pytest.raises(RuntimeError):
        await handle(message("live"))
    out = await asyncio.wait_for(handle(message("bulk")), 0.5)
    assert len(out) == 1


async def test_bulk_in_hand_is_bounded_across_queues_first_come_first_served() -> None:
    in_hand: list[str] = []
    most = 0
    order: list[str] = []
    release = asyncio.Event()

    async def handler(envelope: Envelope) -> Sequence[Envelope]:
        nonlocal most
        in_hand.append(envelope.tenant)
        most = max(most, len(in_hand))
        order.append(envelope.tenant)
        await release.wait()
        in_hand.remove(envelope.tenant)
        return []

    handle = LiveFirst(bulk_yield=5.0, bulk_at_once=2).wrap(handler)
    arrivals = ["a", "a", "a", "b", "a"]
    tasks = []
    for tenant in arrivals:
        tasks.append(asyncio.ensure_future(handle(message("bulk", tenant))))
        await asyncio.sleep(0.01)
    assert in_hand == ["a", "a"]  # two slots; the rest wait their turn
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 1)
    assert most == 2
    assert order == arrivals  # the waiting tenant was not overtaken
