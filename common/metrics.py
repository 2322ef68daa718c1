"""Prometheus metrics, one registry per service instance (tests run many)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from common.store.commands import CommandCounter


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "sync_messages_total",
            "Messages handled, by queue and outcome",
            ["queue", "outcome"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "sync_handler_seconds",
            "Time spent in message handlers",
            ["queue"],
            registry=self.registry,
        )
        self.queued_seconds = Histogram(
            "sync_queued_seconds",
            "Time a message waited in the broker before its delivery",
            ["queue"],
            registry=self.registry,
        )
        self.loop_stalls = Counter(
            "sync_event_loop_stalled_seconds",
            "Seconds the event loop was late by more than a tenth of a second",
            registry=self.registry,
        )
        self.published = Counter(
            "sync_published_total",
            "Messages published with a broker confirm",
            ["routing_kind"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "sync_in_flight", "Messages being handled now", registry=self.registry
        )
        self.up = Gauge(
            "sync_dependency_up",
            "1 when a dependency answers, 0 when it does not",
            ["dependency"],
            registry=self.registry,
        )
        self.service = service

    def count_store_commands(self, commands: CommandCounter) -> None:
        """Expose the store client's command count (round trips) as
        ``sync_store_commands_total``."""
        self.registry.register(_StoreCommands(commands))


class _StoreCommands(Collector):
    def __init__(self, commands: CommandCounter) -> None:
        self.commands = commands

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "sync_store_commands",
            "Commands sent to the store (each one round trip)",
            value=self.commands.sent,
        )
