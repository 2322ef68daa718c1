"""Every exchange, queue and binding, declared in one place (DESIGN §3).

One durable topic exchange carries ``<kind>.<system>.<entity>``. Each
consumer queue has one retry queue per delay: a failed message waits there
(message TTL) and is dead-lettered straight back to *its* queue through the
default exchange, so a retry never reaches the other consumers of the same
routing key. Backfill work has queues of its own so real-time changes are
never stuck behind a tenant's history: the backfill tasks themselves, and
the bulk lane (``bulk.<kind>.…``, see ``Envelope.lane``) carrying what a
backfill causes through the matcher and both gateways. In the bulk lane the
matcher and the gateways' writes have a queue per tenant (``tenant_queue``),
each with a consumer of its own, so the broker serves tenants side by side:
one tenant's 10,000 backfilled changes never hold another's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class QueueSpec:
    name: str
    bindings: tuple[str, ...]


QUEUES: dict[str, tuple[QueueSpec, ...]] = {
    "crm_gateway": (
        QueueSpec("crm_gateway.writes", ("write.crm.*",)),
        QueueSpec("crm_gateway.tasks", ("poll.crm.*", "fetch.crm.*")),
        QueueSpec("crm_gateway.backfill", ("backfill.crm.*",)),
        QueueSpec("crm_gateway.bulk", ("bulk.fetch.crm.#",)),
    ),
    "qbo_gateway": (
        QueueSpec("qbo_gateway.writes", ("write.qbo.*",)),
        QueueSpec("qbo_gateway.tasks", ("poll.qbo.*", "fetch.qbo.*")),
        QueueSpec("qbo_gateway.backfill", ("backfill.qbo.*",)),
        QueueSpec("qbo_gateway.bulk", ("bulk.fetch.qbo.#",)),
    ),
    "matcher": (QueueSpec("matcher.events", ("change.#", "written.#", "command.#")),),
    "scheduler": (),
    "admin": (),  # the console publishes and asks; it consumes no queue
}

GATEWAY_OF_SYSTEM = {"crm": "crm_gateway", "qbo": "qbo_gateway"}

# Queues an earlier version declared and this one no longer binds: the
# service unbinds them when it starts and drains what they still hold
# (``Bus.retire_queue``), so nothing published before an upgrade is lost.
RETIRED_QUEUES: dict[str, tuple[QueueSpec, ...]] = {
    # One bulk queue for every tenant's changes, until session 8.
    "matcher": (QueueSpec("matcher.bulk", ("bulk.change.#", "bulk.written.#")),),
}


def tenant_bulk_writes(system: str, tenant: str) -> QueueSpec:
    """A tenant's bulk writes to ``system``: a queue per tenant, so one
    tenant's 10,000 backfilled writes, paced by its own API quota, never
    hold the gateway while another tenant's wait (each queue has its own
    consumer). Declared by the first publisher of such a write
    (``Bus.publish``), consumed by the gateway once it sees the tenant
    (``common/tenant_queues.py``)."""
    return QueueSpec(
        f"{GATEWAY_OF_SYSTEM[system]}.bulk.{tenant}",
        (f"bulk.write.{system}.*.{tenant}",),
    )


def tenant_matcher_bulk(tenant: str) -> QueueSpec:
    """What a tenant's backfill causes at the matcher (its changes, and the
    outcomes of its writes): a queue per tenant, so tenant B's first
    backfilled change is matched while tenant A's 10,000 still wait, each
    tenant taking turns at the matcher (the broker round-robins between
    consumers). Declared like ``tenant_bulk_writes``. A bulk routing key
    ends with the tenant (``Envelope.routing_key``); a tenant's name is
    words of ``[A-Za-z0-9_-]`` joined by dots, matched literally."""
    return QueueSpec(
        f"matcher.bulk.{tenant}",
        (f"bulk.change.*.*.{tenant}", f"bulk.written.*.*.{tenant}"),
    )


# The per-tenant queue each service consumes: the service's name → the
# queue of a tenant.
TENANT_QUEUES: dict[str, Callable[[str], QueueSpec]] = {
    "crm_gateway": lambda tenant: tenant_bulk_writes("crm", tenant),
    "qbo_gateway": lambda tenant: tenant_bulk_writes("qbo", tenant),
    "matcher": tenant_matcher_bulk,
}


def tenant_queue(kind: str, system: str, tenant: str) -> QueueSpec | None:
    """The per-tenant queue a bulk message of ``kind`` is routed to, if any
    (a bulk re-fetch goes to its gateway's one bulk queue)."""
    if kind == "write":
        return tenant_bulk_writes(system, tenant)
    if kind in ("change", "written"):
        return tenant_matcher_bulk(tenant)
    return None


DEAD_LETTER_QUEUE = "dead_letters"
# The dead-letter queue is an archive for broker-side tools; the MongoDB
# record is what ops list, replay and discard. Old archive copies expire.
DEAD_LETTER_ARCHIVE_TTL_MS = 30 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Names:
    """Names with the deployment's prefix applied (tests use their own)."""

    prefix: str
    exchange_base: str = "sync"

    @property
    def exchange(self) -> str:
        return f"{self.prefix}{self.exchange_base}"

    def queue(self, base: str) -> str:
        return f"{self.prefix}{base}"

    def retry_queue(self, base: str, delay_seconds: float) -> str:
        return f"{self.prefix}{base}.retry.{round(delay_seconds * 1000)}ms"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}{DEAD_LETTER_QUEUE}"


def pick_delay(delays: tuple[float, ...], attempt: int, at_least: float = 0) -> float:
    """The wait before retry number ``attempt`` (1-based), honouring Retry-After."""
    index = min(max(attempt - 1, 0), len(delays) - 1)
    for delay in delays[index:]:
        if delay >= at_least:
            return delay
    return delays[-1]


def write_queue(system: str, tenant: str, lane: str) -> str:
    """The queue that carries the tenant's writes to ``system`` in ``lane``."""
    if lane == "bulk":
        return tenant_bulk_writes(system, tenant).name
    return f"{GATEWAY_OF_SYSTEM[system]}.writes"


def matcher_queue(tenant: str, lane: str) -> str:
    """The matcher's queue of the tenant's ``lane`` (where the gateways'
    ``written.*`` of that lane arrive)."""
    if lane == "bulk":
        return tenant_matcher_bulk(tenant).name
    return "matcher.events"
