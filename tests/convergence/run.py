"""One run: start everything, act, wait for quiescence, judge."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

from common.settings import Settings
from common.store import Store
from tests.convergence.actions import Action
from tests.convergence.executor import Executor, History
from tests.convergence.invariants import Violation, check_all
from tests.convergence.observe import observe
from tests.convergence.quiescence import quiet_period, settle
from tests.convergence.world import fresh_settings, running_system


async def keep_store(store: Store, path: Path) -> None:
    """The matcher's state at the end, next to the service logs: the
    database itself is dropped with the run."""
    kept = {
        name: await store.db[name].find({}).to_list(None)
        for name in (
            "matcher_links",
            "matcher_mirror",
            "matcher_parked",
            "matcher_audit",
            "dead_letters",
        )
    }
    text = json.dumps(kept, indent=1, default=str)
    await asyncio.to_thread(path.write_text, text)


@dataclass
class RunResult:
    actions: list[Action]
    history: History
    violations: list[Violation] = field(default_factory=list)
    dead_letters: list[str] = field(default_factory=list)
    logs: Path | None = None

    @property
    def failed(self) -> bool:
        return bool(self.violations)


async def run_once(base: Settings, actions: list[Action], data_dir: Path) -> RunResult:
    settings = fresh_settings(base, data_dir)
    async with running_system(settings) as (system, store):
        baseline = set((await observe(system, store)).records)
        history = await Executor(system).run(actions)
        settled, last = await settle(system, store)
        before, after = await quiet_period(system, store)
        observed = await observe(system, store)
        await keep_store(store, data_dir / "store.json")
        violations = check_all(
            observed, history, baseline, (settled, last, before, after)
        )
    dead = [
        f"{d.get('routing_key')} {d.get('external_id')} [{d.get('error_class')}] "
        f"{str(d.get('reason'))[:200]}"
        for d in observed.dead_letters
    ]
    return RunResult(actions, history, violations, dead, data_dir)
