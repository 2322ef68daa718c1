"""A small in-process memory: values kept for a while, the oldest dropped
first when it is full (facts an API call found that stay true for minutes)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    def __init__(
        self, seconds: float, limit: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.limit = limit
        self._clock = clock
        self._kept: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._kept.get(key)
        if found is None:
            return None
        until, value = found
        if until <= self._clock():
            del self._kept[key]
            return None
        return value

    def put(self, key: K, value: V) -> None:
        now = self._clock()
        self._kept.pop(key, None)
        self._kept[key] = (now + self.seconds, value)
        # Oldest first: drop what has expired at the front, then any excess.
        while self._kept and next(iter(self._kept.values()))[0] <= now:
            self._kept.popitem(last=False)
        while len(self._kept) > self.limit:
            self._kept.popitem(last=False)
