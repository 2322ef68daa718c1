"""Injected faults (errors, throttles, timeouts, latency) from a seeded RNG,
so a failing run can be replayed."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FaultSettings:
    seed: int = 0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    timeout_rate: float = 0.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    # How long a "timed out" request holds the connection before a 504.
    timeout_seconds: float = 125.0
    # The harder case for clients: the write happened, the answer never came.
    timeout_after_execution: bool = True
    throttle_format: str = "json"  # or "xml", as QBO has been seen to send it
    paths: list[str] = field(default_factory=list)  # substrings; empty = all

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> FaultSettings:
        known = cls.__dataclass_fields__
        settings = cls(**{k: v for k, v in body.items() if k in known})
        if settings.throttle_format not in ("json", "xml"):
            raise ValueError("throttle_format must be json or xml")
        return settings


class FaultInjector:
    def __init__(self) -> None:
        self.configure(FaultSettings())

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)

    def describe(self) -> dict[str, Any]:
        return asdict(self.settings)

    def applies_to(self, path: str) -> bool:
        return not self.settings.paths or any(p in path for p in self.settings.paths)

    def latency_seconds(self) -> float:
        s = self.settings
        if not s.latency_ms and not s.latency_jitter_ms:
            return 0.0
        return (s.latency_ms + self.rng.uniform(0, s.latency_jitter_ms)) / 1000

    def pick(self) -> str | None:
        """One draw per request: 'throttle', 'error', 'timeout' or None."""
        s = self.settings
        if not (s.throttle_rate or s.error_rate or s.timeout_rate):
            return None
        draw = self.rng.random()
        for name, rate in (
            ("throttle", s.throttle_rate),
            ("error", s.error_rate),
            ("timeout", s.timeout_rate),
        ):
            if draw < rate:
                return name
            draw -= rate
        return None
