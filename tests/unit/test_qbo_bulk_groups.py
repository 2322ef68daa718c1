"""How a bulk flush's operations go out: batch calls of 30 while the
minute's batch calls have places, the rest one by one as far as the call
window has room (less a few for queries), what is left waiting for the
batch window. The windows are the real ``RateLimits``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from common.gateway.limits import LimitSpec, RateLimits
from common.lanes import CURRENT_LANE
from services.qbo_gateway.client import BATCH_LIMIT
from services.qbo_gateway.writes import SPILL_HEADROOM, QboWrites

pytestmark = pytest.mark.unit

TENANT = "acme"


def writes_with(limits: RateLimits) -> QboWrites:
    client = SimpleNamespace(caller=SimpleNamespace(limits=limits))
    return QboWrites(
        cast(Any, client), cast(Any, None), cast(Any, None), claims=cast(Any, None)
    )


def operations(count: int) -> dict[str, tuple[int, dict[str, Any]]]:
    return {f"b{i}": (i, {"Customer": {"DisplayName": f"N {i}"}}) for i in range(count)}


def shape(groups: list[tuple[dict[str, Any], bool]]) -> tuple[list[int], int]:
    """Sizes of the batch calls, and how many single calls."""
    batches = [len(group) for group, single in groups if not single]
    singles = sum(1 for _, single in groups if single)
    return batches, singles


async def test_a_flush_the_batch_places_can_take_goes_in_full_batch_calls() -> None:
    limits = RateLimits(LimitSpec(per_minute=500, concurrent=10, batch_per_minute=3))
    groups = writes_with(limits)._groups(TENANT, "bulk", operations(90), False)
    assert shape(groups) == ([30, 30, 30], 0)


async def test_what_the_batch_places_cannot_take_spills_as_far_as_calls_have_room() -> (
    None
):
    # One batch place; 100 calls a minute keep 10 for live work: 90 for
    # bulk, of which the spill leaves SPILL_HEADROOM for the next flushes'
    # queries: 80, room for all 60 the batch place cannot take.
    limits = RateLimits(LimitSpec(per_minute=100, concurrent=10, batch_per_minute=1))
    groups = writes_with(limits)._groups(TENANT, "bulk", operations(90), False)
    assert shape(groups) == ([30], 60)
    sent = [bid for group, _ in groups for bid in group]
    assert sorted(sent) == sorted(operations(90))  # each operation once


async def test_a_spill_short_of_room_leaves_whole_batch_calls() -> None:
    # 60 calls a minute: 54 for bulk, 44 after the headroom; the 60
    # operations past the batch place do not fit, so 30 go one by one and
    # 30 wait in one full batch call (not 44 and a batch call of 16).
    limits = RateLimits(LimitSpec(per_minute=60, concurrent=10, batch_per_minute=1))
    assert 54 - SPILL_HEADROOM == 44
    groups = writes_with(limits)._groups(TENANT, "bulk", operations(90), False)
    assert shape(groups) == ([30, 30], 30)


async def test_no_room_in_the_call_window_means_batch_calls_that_wait() -> None:
    limits = RateLimits(LimitSpec(per_minute=60, concurrent=10, batch_per_minute=1))
    for _ in range(54 - SPILL_HEADROOM):  # the minute's bulk calls nearly spent
        async with limits.slot(TENANT):
            pass
    groups = writes_with(limits)._groups(TENANT, "bulk", operations(45), False)
    assert shape(groups) == ([30, 15], 0)


async def test_live_work_never_spills() -> None:
    CURRENT_LANE.set("live")
    limits = RateLimits(LimitSpec(per_minute=60, concurrent=10, batch_per_minute=1))
    groups = writes_with(limits)._groups(TENANT, "live", operations(BATCH_LIMIT), False)
    assert shape(groups) == ([30], 0)
