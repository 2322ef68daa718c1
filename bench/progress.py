"""Waiting for counts to reach their targets, with a progress line every
few seconds and a hard timeout, so a long run shows where it is and a
stuck one ends with the partial count recorded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Count = Callable[[], Awaitable[int]]
POLL_SECONDS = 1.0


@dataclass
class Goal:
    """One count to wait for, and when it passed 10 %, 90 % and 100 %."""

    label: str
    count: Count
    target: int
    last: int = 0
    elapsed: float = 0.0
    passed: dict[float, float] = field(default_factory=dict)  # share -> seconds

    @property
    def done(self) -> bool:
        return self.last >= self.target

    def note(self, value: int, seconds: float) -> None:
        self.last, self.elapsed = value, seconds
        for share in (0.1, 0.9, 1.0):
            if share not in self.passed and value >= share * self.target:
                self.passed[share] = seconds

    def figures(self) -> dict[str, Any]:
        """Records per second over the whole wait, and between 10 % and
        90 % (the steady rate, start-up and tail left out)."""
        whole = self.passed.get(1.0)
        seconds = whole if whole is not None else self.elapsed
        first, last = self.passed.get(0.1), self.passed.get(0.9)
        steady = (
            round(0.8 * self.target / (last - first), 2)
            if first is not None and last is not None and last > first
            else None
        )
        return {
            "target": self.target,
            "reached": self.last,
            "timed_out": whole is None,
            "seconds": round(seconds, 1),
            "records_per_s": round(self.last / seconds, 2) if seconds else None,
            "steady_records_per_s_10_to_90": steady,
            "seconds_to_10_percent": _rounded(first),
            "seconds_to_90_percent": _rounded(last),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def track(
    phase: str,
    goals: list[Goal],
    started: float,
    give_up_after: float,
    report_every: float = 5.0,
) -> None:
    """Polls every goal's count each second until all are reached or
    ``give_up_after`` seconds after ``started`` (time.monotonic()) passed;
    prints a progress line every ``report_every`` seconds."""
    reported = started
    before = {goal.label: 0 for goal in goals}
    while True:
        now = time.monotonic()
        for goal in goals:
            if not goal.done:
                goal.note(await goal.count(), now - started)
        if all(goal.done for goal in goals) or now - started > give_up_after:
            break
        if now - reported >= report_every:
            print(
                _line(phase, goals, now - started, before, now - reported), flush=True
            )
            before = {goal.label: goal.last for goal in goals}
            reported = now
        await asyncio.sleep(POLL_SECONDS)
    print(_line(phase, goals, time.monotonic() - started, None, 0.0), flush=True)


def _line(
    phase: str,
    goals: list[Goal],
    elapsed: float,
    before: dict[str, int] | None,
    window: float,
) -> str:
    parts = []
    for goal in goals:
        average = goal.last / goal.elapsed if goal.elapsed else 0.0
        text = f"{goal.last}/{goal.target} {goal.label}, {average:.1f}/s"
        if before is not None and window > 0:
            recent = (goal.last - before[goal.label]) / window
            text += f" (last {window:.0f} s: {recent:.1f}/s)"
        parts.append(text)
    return f"{phase} {elapsed:6.0f} s: " + "; ".join(parts)
