"""Webhook-to-write latency: a person creates a contact in Zoho (through
the API, timed at its 2xx answer), Zoho notifies the crm-gateway, and the
pipeline creates the customer in QBO. Its arrival is watched on the QBO
sandbox's admin surface every 50 ms, so watching spends no API quota.

Samples of one condition are started one every ``every`` seconds whether
or not the earlier ones have arrived; one watcher checks all pending
samples with a single admin call per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

from bench.sandboxes import QboAdmin, ZohoPerson

POLL_SECONDS = 0.05


@dataclass
class Sample:
    condition: str
    email: str
    created: float  # monotonic, at Zoho's 2xx answer
    arrived: float | None = None

    @property
    def seconds(self) -> float:
        return math.inf if self.arrived is None else self.arrived - self.created


@dataclass
class LatencyProbe:
    zoho: ZohoPerson  # the tenant's own org, as a person writes to it
    qbo: QboAdmin
    realm: str  # the tenant's QBO company
    tag: str  # unique per run: the probes' emails are p<k>.<condition>@lat-<tag>.test
    samples: list[Sample] = field(default_factory=list)
    every: dict[str, float] = field(default_factory=dict)  # condition -> cadence
    _watcher: asyncio.Task[None] | None = None

    @property
    def marker(self) -> str:
        """What every probe's email contains, and no other email does."""
        return f"@lat-{self.tag}."

    async def series(self, condition: str, count: int, every: float) -> None:
        """``count`` new contacts, one every ``every`` seconds."""
        loop = asyncio.get_running_loop()
        self.every[condition] = every
        for k in range(count):
            started = loop.time()
            await self._create(condition, k)
            await asyncio.sleep(max(0.0, every - (loop.time() - started)))

    async def settle(self, seconds: float) -> None:
        """Waits until every sample arrived, or ``seconds`` passed (the
        watcher ends when nothing is pending; it goes on after a timeout)."""
        if self._watcher is not None:
            await asyncio.wait({self._watcher}, timeout=seconds)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    def summary(self, condition: str) -> dict[str, Any]:
        taken = sorted(s.seconds for s in self.samples if s.condition == condition)
        return {
            "one_sample_every_s": self.every.get(condition),
            "samples": len(taken),
            "arrived": sum(1 for t in taken if t != math.inf),
            "p50_s": percentile(taken, 0.50),
            "p95_s": percentile(taken, 0.95),
            "p99_s": percentile(taken, 0.99),
            "max_s": percentile(taken, 1.0),
        }

    async def _create(self, condition: str, k: int) -> None:
        email = f"p{k}.{condition}{self.marker}test"
        record = {
            "First_Name": "Probe",
            "Last_Name": f"{condition} {k}",
            "Email": email,
        }
        await self.zoho.insert_contact(record)
        self.samples.append(Sample(condition, email.casefold(), time.monotonic()))
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch())

    def _pending(self) -> list[Sample]:
        return [s for s in self.samples if s.arrived is None]

    async def _watch(self) -> None:
        while self._pending():
            answer = await self.qbo.customers(self.realm, self.marker)
            now = time.monotonic()
            present = {email.casefold() for email in answer["matching"]}
            for sample in self._pending():
                if sample.email in present:
                    sample.arrived = now
            await asyncio.sleep(POLL_SECONDS)


def percentile(ordered: list[float], share: float) -> float | None:
    """Nearest rank; None when there is no sample or the rank fell on one
    that never arrived (the true value is then unknown, only too long)."""
    if not ordered:
        return None
    value = ordered[max(0, math.ceil(share * len(ordered)) - 1)]
    return None if value == math.inf else round(value, 3)
