"""Injected failures for API calls, drawn from a seeded generator so a test run
can be replayed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faults:
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    timeout_rate: float = 0.0
    latency_ms: float = 0.0
    timeout_seconds: float = 30.0
    seed: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def configure(self, body: dict[str, Any]) -> None:
        for name in (
            "error_rate",
            "throttle_rate",
            "timeout_rate",
            "latency_ms",
            "timeout_seconds",
        ):
            if name in body:
                setattr(self, name, float(body[name]))
        self.seed = int(body.get("seed", self.seed))
        self.rng = random.Random(self.seed)

    def describe(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "error_rate": self.error_rate,
            "throttle_rate": self.throttle_rate,
            "timeout_rate": self.timeout_rate,
            "latency_ms": self.latency_ms,
            "timeout_seconds": self.timeout_seconds,
        }

    def draw(self) -> str | None:
        """One of `timeout`, `throttle`, `error`, or None for a clean call."""
        roll = self.rng.random()
        for kind, rate in (
            ("timeout", self.timeout_rate),
            ("throttle", self.throttle_rate),
            ("error", self.error_rate),
        ):
            if roll < rate:
                return kind
            roll -= rate
        return None
