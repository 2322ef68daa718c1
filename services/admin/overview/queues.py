"""Queue depths: messages ready, waiting to be retried, and consumers, of
every queue of the topology, each tenant's bulk queues and the dead-letter
archive, by passive declares (nothing is created by asking)."""

from __future__ import annotations

from typing import Any

from common.bus import Bus
from common.bus.topology import QUEUES, TENANT_QUEUES, QueueSpec


def _queues(tenants: list[str]) -> list[tuple[str, QueueSpec, str | None]]:
    """(service, spec, tenant) of every queue a consumer reads."""
    found: list[tuple[str, QueueSpec, str | None]] = [
        (service, spec, None) for service, specs in QUEUES.items() for spec in specs
    ]
    for tenant in sorted(tenants):
        for service, queue_of in TENANT_QUEUES.items():
            found.append((service, queue_of(tenant), tenant))
    return found


async def queue_depths(bus: Bus, tenants: list[str]) -> list[dict[str, Any]]:
    queues = _queues(tenants)
    delays = bus.settings.bus_retry_delays
    names = [bus.names.queue(spec.name) for _, spec, _ in queues]
    retry_names = [
        bus.names.retry_queue(spec.name, delay)
        for _, spec, _ in queues
        for delay in delays
    ]
    counts = await bus.queue_counts([*names, bus.names.dead_letters, *retry_names])
    rows = []
    for (service, spec, tenant), name in zip(queues, names, strict=True):
        retries = [
            counts.get(bus.names.retry_queue(spec.name, delay)) for delay in delays
        ]
        rows.append(
            _row(name, service, tenant, counts.get(name), retries, spec.bindings)
        )
    rows.append(
        _row(
            bus.names.dead_letters,
            "dead letters (archive)",
            None,
            counts.get(bus.names.dead_letters),
            [],
            (),
        )
    )
    return rows


def _row(
    name: str,
    service: str,
    tenant: str | None,
    count: tuple[int, int] | None,
    retries: list[tuple[int, int] | None],
    bindings: tuple[str, ...],
) -> dict[str, Any]:
    return {
        "queue": name,
        "service": service,
        "tenant": tenant,
        "declared": count is not None,
        "ready": count[0] if count else None,
        "consumers": count[1] if count else None,
        "retrying": sum(r[0] for r in retries if r) if count else None,
        "bindings": list(bindings),
    }
