"""Settings of one sandbox process; every limit the real API imposes is here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Intuit's current webhook retry cadence: 10 s, 20 s, 30 s, 5 min, 20 min,
# 2 h, 4 h, 6 h, then every 6 h.
REAL_WEBHOOK_RETRIES = (10.0, 20.0, 30.0, 300.0, 1200.0, 7200.0, 14400.0, 21600.0)


@dataclass
class RateLimits:
    per_minute: int | None = 500
    per_second: int | None = None
    concurrent: int | None = 10
    batch_per_minute: int | None = 40


@dataclass
class WebhookTiming:
    batch_window_seconds: float = 1.0
    retry_schedule_seconds: tuple[float, ...] = REAL_WEBHOOK_RETRIES
    max_attempts: int = 50
    request_timeout_seconds: float = 3.0


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 9082
    snapshot: Path | None = None
    limits: RateLimits = field(default_factory=RateLimits)
    webhooks: WebhookTiming = field(default_factory=WebhookTiming)
    access_token_seconds: int = 3600
    refresh_token_seconds: int = 8726400
    auth_code_seconds: int = 300
    requestid_cache_size: int = 10000
