"""What a failing run prints, and the optional shrink to a minimal list."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from tests.convergence.actions import Action
from tests.convergence.run import RunResult

Rerun = Callable[[list[Action]], Awaitable[RunResult]]


def shrinking_enabled() -> bool:
    return os.environ.get("CONVERGENCE_SHRINK") == "1"


def invariants_of(result: RunResult) -> set[str]:
    return {v.invariant for v in result.violations}


async def shrink(result: RunResult, rerun: Rerun) -> RunResult:
    """Delta debugging over the action list: drop chunks while a run still
    breaks one of the same invariants. Each try starts the whole system, so
    this only runs with CONVERGENCE_SHRINK=1."""
    wanted = invariants_of(result)
    best = result
    chunk = max(1, len(best.actions) // 2)
    while chunk >= 1:
        start, shrunk = 0, False
        while start < len(best.actions):
            subset = best.actions[:start] + best.actions[start + chunk :]
            if subset:
                attempt = await rerun(subset)
                if invariants_of(attempt) & wanted:
                    best, shrunk = attempt, True
                    continue  # same start, the list moved up
            start += chunk
        if not shrunk:
            chunk //= 2
    return best


def describe(seed: int, full: RunResult, minimal: RunResult | None) -> str:
    lines = [f"convergence seed {seed}: {len(full.violations)} invariant violations"]
    lines += [f"  {v}" for v in full.violations]
    lines.append(f"actions of seed {seed} (what each did):")
    lines += [f"  {n:2}. {outcome}" for n, outcome in enumerate(full.history.outcomes)]
    if minimal is not None:
        lines.append(f"minimal action list ({len(minimal.actions)} actions):")
        lines += [f"  {action}" for action in minimal.actions]
        lines += [f"  => {v}" for v in minimal.violations]
    else:
        lines.append("(set CONVERGENCE_SHRINK=1 to shrink to a minimal action list)")
    lines.append(f"dead letters at the end ({len(full.dead_letters)}):")
    lines += [f"  {dead}" for dead in full.dead_letters]
    lines.append(f"service logs: {full.logs}")
    lines.append(f"replay: CONVERGENCE_SEEDS={seed} make soak")
    return "\n".join(lines)
