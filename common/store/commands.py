"""Counting the commands a store client sends: round trips per change,
exposed as ``sync_store_commands_total`` on every service's /metrics, and
each one's time added to the message in hand (``common/message_timing.py``)."""

from __future__ import annotations

from pymongo import monitoring

from common.message_timing import note_store_command


class CommandCounter(monitoring.CommandListener):
    """Every command the driver sends on this client (one round trip each)."""

    def __init__(self) -> None:
        self.sent = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.sent += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        note_store_command(event.command_name, event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        note_store_command(event.command_name, event.duration_micros / 1e6)
