"""The in-process memory of recent facts: kept a while, bounded."""

from __future__ import annotations

import pytest

from common.gateway.recent import Recent

pytestmark = pytest.mark.unit


def test_values_are_kept_a_while_and_the_oldest_go_first() -> None:
    now = [0.0]
    recent: Recent[str, int] = Recent(10, 2, clock=lambda: now[0])
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1
    recent.put("c", 3)  # full: "a", the oldest put, goes
    assert recent.get("a") is None
    assert recent.get("b") == 2
    now[0] = 10.0
    assert recent.get("c") is None  # its time is up
