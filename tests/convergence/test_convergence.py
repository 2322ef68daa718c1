"""Randomized, seeded, model-based: people edit both sides while the operator
backfills and replays and a service is killed; once everything has drained,
both sides and the store must agree (tests/convergence/invariants.py).

`make test` runs the fixed seeds below; `make soak SEEDS=N` (or
CONVERGENCE_SEEDS="1-20" / "4,9,17") replays more. A failure prints the
seed, every action and what it did, and with CONVERGENCE_SHRINK=1 a minimal
action list.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.settings import Settings
from tests.convergence.actions import Action
from tests.convergence.generator import generate
from tests.convergence.report import describe, shrink, shrinking_enabled
from tests.convergence.run import RunResult, run_once

FIXED_SEEDS = (1, 4, 5)
# Seeds that fail today because of a reported defect (see the final report).
# None today: the duplicate dead letters of seeds 1 and 4 were fixed while
# this suite was written, and the other defects found are timing-dependent,
# so a strict xfail on them would itself be flaky.
KNOWN_DEFECTS: dict[int, str] = {}


def seeds_from(text: str) -> list[int]:
    """ "1-20", "4,9,17" or a mix: "1-5,40"."""
    seeds: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        low, _, high = part.partition("-")
        seeds += range(int(low), int(high or low) + 1)
    return seeds


def chosen_seeds() -> list[object]:
    text = os.environ.get("CONVERGENCE_SEEDS", "")
    seeds = seeds_from(text) if text else list(FIXED_SEEDS)
    return [
        pytest.param(
            seed, marks=pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[seed])
        )
        if seed in KNOWN_DEFECTS
        else seed
        for seed in seeds
    ]


@pytest.mark.e2e
@pytest.mark.parametrize("seed", chosen_seeds())
async def test_both_sides_converge(
    seed: int, settings: Settings, tmp_path: Path
) -> None:
    actions = generate(seed)
    runs = 0

    async def attempt(subset: list[Action]) -> RunResult:
        nonlocal runs
        runs += 1
        return await run_once(settings, subset, tmp_path / f"run-{runs}")

    result = await attempt(actions)
    if not result.failed:
        return
    minimal = await shrink(result, attempt) if shrinking_enabled() else None
    pytest.fail(describe(seed, result, minimal), pytrace=False)
