"""Counting the commands a store client sends: round trips per change,
exposed as ``sync_store_commands_total`` on every service's /metrics."""

from __future__ import annotations

from pymongo import monitoring


class CommandCounter(monitoring.CommandListener):
    """Every command the driver sends on this client (one round trip each)."""

    def __init__(self) -> None:
        self.sent = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.sent += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
