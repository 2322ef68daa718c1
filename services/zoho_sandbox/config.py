"""Settings for one sandbox process; every value can be changed per test."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Concurrency per app per org by edition (Kaizen #203, Zoho v8 api-limits page).
CONCURRENCY_BY_EDITION = {
    "free": 5,
    "standard": 10,
    "professional": 15,
    "enterprise": 20,
    "ultimate": 25,
}

# (base credits, per-user credits, cap) per rolling 24 h (Zoho v8 api-limits page).
CREDITS_BY_EDITION: dict[str, tuple[int, int, int | None]] = {
    "free": (5_000, 0, 5_000),
    "standard": (50_000, 250, 100_000),
    "professional": (50_000, 500, 3_000_000),
    "enterprise": (50_000, 1_000, 5_000_000),
    "ultimate": (50_000, 2_000, None),
}

HEAVY_SUB_CONCURRENCY = 10


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 9081
    snapshot: Path | None = None
    # Notification delivery: how long changes are gathered into one callback,
    # and the pauses between attempts while the receiver keeps failing.
    notify_batch_seconds: float = 0.05
    notify_retry_delays: tuple[float, ...] = field(
        default=(1.0, 5.0, 30.0, 120.0, 600.0)
    )
    notify_timeout_seconds: float = 10.0


def credit_limit(edition: str, users: int) -> int | None:
    base, per_user, cap = CREDITS_BY_EDITION[edition]
    total = base + per_user * users
    return total if cap is None else min(total, cap)
