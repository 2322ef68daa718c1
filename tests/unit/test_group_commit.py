"""GroupCommit: one alone goes at once; those asked for meanwhile go
together, in groups of at most ``at_most``; an error reaches every caller
of its group and no other."""

from __future__ import annotations

import asyncio

import pytest

from common.store.group_commit import GroupCommit

pytestmark = pytest.mark.unit


class Store:
    """Stands in for the store's command: records each group it is sent."""

    def __init__(self, refuse: set[int] | None = None) -> None:
        self.groups: list[list[int]] = []
        self.refuse = refuse or set()

    async def run(self, items: list[int]) -> list[int]:
        self.groups.append(items)
        await asyncio.sleep(0.01)  # a round trip
        if self.refuse & set(items):
            raise RuntimeError("refused")
        return [item * 10 for item in items]


async def test_one_alone_goes_at_once() -> None:
    store = Store()
    commit = GroupCommit("probe", store.run)
    assert await asyncio.wait_for(commit.submit(1), 1) == 10
    assert store.groups == [[1]]


async def test_those_asked_for_meanwhile_go_together_in_bounded_groups() -> None:
    store = Store()
    commit = GroupCommit("probe", store.run, at_most=100)
    results = await asyncio.gather(*(commit.submit(n) for n in range(250)))
    assert results == [n * 10 for n in range(250)]
    assert [len(group) for group in store.groups] == [100, 100, 50]
    assert [n for group in store.groups for n in group] == list(range(250))


async def test_an_error_reaches_its_group_only() -> None:
    store = Store(refuse={3})
    commit = GroupCommit("probe", store.run)
    first = asyncio.ensure_future(commit.submit(0))
    await asyncio.sleep(0)
    failing = [asyncio.ensure_future(commit.submit(n)) for n in (2, 3)]
    assert await first == 0
    for task in failing:
        with pytest.raises(RuntimeError, match="refused"):
            await task
    assert await commit.submit(4) == 40  # the next group goes on
