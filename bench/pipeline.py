"""The whole pipeline, end to end: every service its own OS process, both
API sandboxes their own OS processes with the real limits and a realistic
latency (QBO 250 ms +- 150 ms, Zoho 200 ms), its own RabbitMQ vhost and
embedded MongoDB (see bench/stack.py).

In order:

1. **Naive script** (bench/naive.py): one record at a time against a Zoho
   org and QBO company of its own, before the services start.
2. **Quiet latency**: a person's new Zoho contact until its QBO customer
   exists (bench/latency.py), with nothing else running (one every 4 s;
   during the backfills one every 1.5 s).
3. **Zoho -> QBO**: N seeded contacts of tenant A backfilled; until all N
   customers exist in QBO and all N contacts carry the QBO id marker;
   latency samples of tenant A meanwhile.
4. **Another tenant's backfill**: tenant B (its own org and company)
   backfills N contacts while tenant A's latency is sampled; then until B
   is done.
5. **QBO -> Zoho**: N seeded customers of tenant C backfilled; until N
   Zoho contacts exist.

Counts come from the sandboxes' admin surface (``/_sandbox/count``), API
calls and 429s from their statistics: observing spends none of the
measured company's quota. Per phase: records/s next to what the API's
limits allow, the calls by kind, the matcher's store round trips per
message (when it exposes ``sync_store_commands_total``), peak RSS and CPU
seconds per 1,000 records of every process. The matcher's cost per change
as the store grows is bench/matcher_scale.py's (``figures.matcher_scale``).

Each phase has a hard timeout (N/2 + 300 s); past it the partial count is
recorded and the run moves on. At the end: dead letters in the store, and
the path of every log that mentions a dead letter or an error.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bench.latency import LatencyProbe
from bench.naive import naive_sync
from bench.observe import qbo_calls, zoho_calls
from bench.processes import Usage
from bench.progress import Goal, track
from bench.sandboxes import QBO_LATENCY, ZOHO_LATENCY, QboPerson, ZohoPerson
from bench.stack import Stack, Tenant, running_stack
from common.operator.backfills import start_backfill
from services.qbo_sandbox.batch import MAX_ITEMS
from services.qbo_sandbox.config import RateLimits
from services.zoho_sandbox.config import HEAVY_SUB_CONCURRENCY, credit_limit

SINCE = date(2000, 1, 1)
ZOHO_EDITION, ZOHO_USERS = "enterprise", 10
ZOHO_RECORDS_PER_INSERT = 100
MATCHER_SCALE = (
    "figures.matcher_scale (bench/matcher_scale.py): ms per change "
    "at 1k/10k/50k stored records"
)


@dataclass(frozen=True)
class PipelineOptions:
    n: int = 1000
    latency_samples: int = 25
    sample_every: float = 1.5  # during backfills
    # Quiet: slower, so the probes alone stay within what the write path
    # sustains (two batch calls per lone create, 40 batch calls a minute:
    # 20 creates a minute); at 1.5 s they would time their own queue.
    quiet_every: float = 4.0
    naive_records: int = 50
    # Empty: every phase. Else the measured phases to run (PHASES), e.g. the
    # 10,000-record Zoho→QBO backfill alone.
    phases: tuple[str, ...] = ()

    @property
    def phase_timeout(self) -> float:
        return self.n / 2 + 300

    @classmethod
    def sized(cls, n: int, phases: tuple[str, ...] = ()) -> PipelineOptions:
        """A 1,000-record backfill lasts under a minute: 25 samples 1.5 s
        apart. A 10,000-record one lasts about ten: 60 samples 5 s apart, so
        the samples span five minutes and the once-a-minute work (polls,
        sweeps) falls among them instead of around them."""
        if n < 5000:
            return cls(n=n, phases=phases)
        return cls(n=n, phases=phases, latency_samples=60, sample_every=5.0)


# -- the limits' bounds --------------------------------------------------------------
def qbo_create_bound() -> dict[str, Any]:
    """Customers a second QBO lets one company create: 40 batch calls a
    minute of 30 creates, plus one create per single call the 500 a minute
    leave."""
    limits = RateLimits()
    assert limits.per_minute is not None
    assert limits.batch_per_minute is not None
    batch = limits.batch_per_minute * MAX_ITEMS / 60
    singles = (limits.per_minute - limits.batch_per_minute) / 60
    return {
        "records_per_s": round(batch + singles, 2),
        "batch_only_records_per_s": round(batch, 2),
        "basis": (
            f"{limits.batch_per_minute} batch calls/min x {MAX_ITEMS} ops, plus "
            f"{limits.per_minute - limits.batch_per_minute} single calls/min "
            f"({limits.per_minute}/min in all)"
        ),
    }


def zoho_insert_bound() -> dict[str, Any]:
    """Contacts a second Zoho lets one org insert at 100 a call: inserts of
    more than 10 records share a sub-concurrency of 10, each call held for
    the latency; and the edition's credits per 24 h."""
    latency = ZOHO_LATENCY["latency_ms"] / 1000
    calls_per_s = HEAVY_SUB_CONCURRENCY / latency
    credits = credit_limit(ZOHO_EDITION, ZOHO_USERS)
    assert credits is not None
    per_day = credits * ZOHO_RECORDS_PER_INSERT
    return {
        "records_per_s": round(calls_per_s * ZOHO_RECORDS_PER_INSERT, 1),
        "basis": (
            f"sub-concurrency {HEAVY_SUB_CONCURRENCY} / {latency:.1f} s latency = "
            f"{calls_per_s:.0f} calls/s x {ZOHO_RECORDS_PER_INSERT} records"
        ),
        "edition": f"{ZOHO_EDITION}, {ZOHO_USERS} users",
        "credits_per_24h": credits,
        "records_per_24h_at_100_per_call": per_day,
        "day_average_records_per_s": round(per_day / 86400, 1),
    }


def ratio(measured: Any, bound: float) -> float | None:
    return round(measured / bound, 3) if isinstance(measured, float | int) else None


# -- one measured window -----------------------------------------------------------
@dataclass
class Window:
    """API calls, matcher counters and process usage over one phase."""

    stack: Stack
    started: float
    before: dict[str, float | None]
    sampler: Any

    @classmethod
    async def open(cls, stack: Stack) -> Window:
        await stack.qbo.clear_stats()
        await stack.zoho.clear_stats()
        before = await stack.matcher_counters()
        sampler = stack.sampler()
        sampler.start()
        return cls(stack, time.monotonic(), before, sampler)

    async def close(self, records: int) -> dict[str, Any]:
        usage = await self.sampler.stop()
        after = await self.stack.matcher_counters()
        api = {
            "qbo": qbo_calls(await self.stack.qbo.stats()),
            "zoho": zoho_calls(await self.stack.zoho.stats()),
        }
        for calls in api.values():
            calls["calls_per_record"] = round(calls["calls"] / max(records, 1), 3)
        return {
            "wall_clock_s": round(time.monotonic() - self.started, 1),
            "api": api,
            "matcher_store_round_trips": round_trips(self.before, after),
            "resources": resources(usage, records),
        }


def round_trips(
    before: dict[str, float | None], after: dict[str, float | None]
) -> dict[str, Any]:
    """Store commands per message the matcher handled in the window."""
    messages = _delta(before["messages"], after["messages"])
    commands = _delta(before["store_commands"], after["store_commands"])
    per = round(commands / messages, 2) if commands is not None and messages else None
    figures: dict[str, Any] = {
        "matcher_messages": messages,
        "store_commands": commands,
        "per_message": per,
    }
    if commands is None:
        figures["note"] = "the matcher's /metrics has no sync_store_commands_total"
    return figures


def _delta(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else second - first


def resources(usage: dict[str, Usage], records: int) -> dict[str, Any]:
    thousands = max(records, 1) / 1000
    return {
        name: {
            "peak_rss_mb": round(used.peak_rss / 2**20, 1),
            "cpu_s": None if used.cpu is None else round(used.cpu, 2),
            "cpu_s_per_1000_records": (
                None if used.cpu is None else round(used.cpu / thousands, 2)
            ),
        }
        for name, used in usage.items()
    }


# -- seeding -----------------------------------------------------------------------
async def seed(stack: Stack, options: PipelineOptions) -> dict[str, Tenant]:
    """Zoho orgs and QBO companies: A and B (N contacts each, empty
    companies), C (empty org, N customers), the naive script's pair."""
    n, zoho_size = options.n, {"edition": ZOHO_EDITION, "users": ZOHO_USERS}
    plan = {
        "a": ({"seed": 11, "contacts": n}, {"seed": 21}),
        "b": ({"seed": 12, "contacts": n}, {"seed": 22}),
        "c": ({"seed": 13}, {"seed": 23, "customers": n}),
        "naive": ({"seed": 14, "contacts": options.naive_records}, {"seed": 24}),
    }
    tenants: dict[str, Tenant] = {}
    for key, (zoho_body, qbo_body) in plan.items():
        zoho = await stack.zoho.reset(key, {**zoho_body, **zoho_size})
        company = {**qbo_body, "company_name": f"Bench {key}"}
        add = stack.qbo.add_company if tenants else stack.qbo.reset
        qbo = await add(company)
        tenants[key] = Tenant(f"bench-{key}", key, zoho, qbo)
    await stack.realistic_sandboxes()
    return tenants


# -- the phases ----------------------------------------------------------------------
async def naive_phase(stack: Stack, naive: Tenant, options: PipelineOptions) -> Any:
    zoho = ZohoPerson(stack.http, dict(naive.zoho))
    qbo = QboPerson(stack.http, dict(naive.qbo))
    figures = await naive_sync(zoho, qbo, options.naive_records)
    print(f"naive script: {figures['records_per_s']} records/s", flush=True)
    return figures


async def quiet_latency(
    stack: Stack, probe: LatencyProbe, options: PipelineOptions
) -> dict[str, Any]:
    window = await Window.open(stack)
    await probe.series("quiet", options.latency_samples, options.quiet_every)
    await probe.settle(120)
    summary = probe.summary("quiet")
    print(f"latency, quiet: {summary}", flush=True)
    return {**summary, **await window.close(options.latency_samples)}


def seeded_customers(stack: Stack, tenant: Tenant, probe: LatencyProbe) -> Any:
    """Customers of the tenant's company, the latency probes' left out."""

    async def count() -> int:
        answer = await stack.qbo.customers(tenant.realm, probe.marker)
        return int(answer["count"]) - len(answer["matching"])

    return count


def seeded_markers(stack: Stack, tenant: Tenant, probe: LatencyProbe) -> Any:
    """Contacts of the tenant's org with the QBO id, the probes' left out."""

    async def count() -> int:
        answer = await stack.zoho.contacts(tenant.org, probe.marker)
        return int(answer["filled"]) - int(answer["matching_filled"])

    return count


async def zoho_to_qbo(
    stack: Stack, a: Tenant, probe: LatencyProbe, options: PipelineOptions
) -> dict[str, Any]:
    customers = Goal("customers", seeded_customers(stack, a, probe), options.n)
    markers = Goal("markers", seeded_markers(stack, a, probe), options.n)
    window = await Window.open(stack)
    await start_backfill(stack.bus, a.name, "crm", SINCE, ("contact",))
    samples = asyncio.create_task(sampled(probe, "same_tenant_backfill", options))
    await track(
        "zoho->qbo", [customers, markers], window.started, options.phase_timeout
    )
    await samples
    await probe.settle(max(30.0, options.phase_timeout - _since(window.started)))
    bound = qbo_create_bound()
    rate = customers.figures()["records_per_s"]
    return {
        "tenant": a.name,
        "customers_in_qbo": customers.figures(),
        "markers_in_zoho": markers.figures(),
        "bound": bound,
        "ratio_to_bound": ratio(rate, bound["records_per_s"]),
        "ratio_to_batch_only_bound": ratio(rate, bound["batch_only_records_per_s"]),
        **await window.close(options.n),
        "note": "zoho calls include the latency probes' contact inserts",
    }


async def other_tenant(
    stack: Stack, b: Tenant, probe: LatencyProbe, options: PipelineOptions
) -> dict[str, Any]:
    customers = Goal("customers", seeded_customers(stack, b, probe), options.n)
    window = await Window.open(stack)
    await start_backfill(stack.bus, b.name, "crm", SINCE, ("contact",))
    samples = asyncio.create_task(sampled(probe, "other_tenant_backfill", options))
    await track(
        "tenant B zoho->qbo", [customers], window.started, options.phase_timeout
    )
    sampling_ended = (await samples) - window.started
    await probe.settle(max(30.0, options.phase_timeout - _since(window.started)))
    figures = customers.figures()
    return {
        "tenant": b.name,
        "customers_in_qbo": figures,
        "ratio_to_bound": ratio(
            figures["records_per_s"], qbo_create_bound()["records_per_s"]
        ),
        "backfill_outlasted_the_samples": figures["seconds"] >= sampling_ended,
        **await window.close(options.n),
    }


async def sampled(
    probe: LatencyProbe, condition: str, options: PipelineOptions
) -> float:
    """The backfill conditions' latency samples; when the last was taken."""
    await probe.series(condition, options.latency_samples, options.sample_every)
    return time.monotonic()


def _since(started: float) -> float:
    return time.monotonic() - started


async def qbo_to_zoho(
    stack: Stack, c: Tenant, options: PipelineOptions
) -> dict[str, Any]:
    await stack.connect(c, announce=True)
    census = await stack.qbo.customers(c.realm)
    target = int(census["distinct_emails"])

    async def contacts() -> int:
        return int((await stack.zoho.contacts(c.org))["count"])

    goal = Goal("contacts", contacts, target)
    window = await Window.open(stack)
    await start_backfill(stack.bus, c.name, "qbo", SINCE, ("customer",))
    await track("qbo->zoho", [goal], window.started, options.phase_timeout)
    bound = zoho_insert_bound()
    figures = goal.figures()
    return {
        "tenant": c.name,
        "seeded_customers": census["count"],
        "distinct_emails": target,
        "contacts_in_zoho": figures,
        "bound": bound,
        "ratio_to_bound": ratio(figures["records_per_s"], bound["records_per_s"]),
        **await window.close(options.n),
    }


async def guarded(name: str, phase: Awaitable[Any]) -> Any:
    """A phase's figures, or its error: one failing phase does not end the run."""
    try:
        return await phase
    except Exception as exc:
        print(f"{name} failed: {exc!r}", flush=True)
        return {"error": repr(exc)}


# -- the whole run ---------------------------------------------------------------------
async def pipeline(options: PipelineOptions) -> dict[str, Any]:
    started = time.monotonic()
    figures: dict[str, Any] = {"n": options.n, "setup": setup(options)}
    async with running_stack() as stack:
        tenants = await seed(stack, options)
        figures["naive_script"] = await guarded(
            "naive script", naive_phase(stack, tenants["naive"], options)
        )
        figures["zoho_channels_subscribed"] = await start_system(stack, tenants)
        figures.update(await measured_phases(stack, tenants, options))
        figures["end"] = await stack.wind_down()
    figures["pipeline_to_naive"] = to_naive(figures)
    figures["matcher_cost_per_change"] = MATCHER_SCALE
    figures["wall_clock_s"] = round(time.monotonic() - started, 1)
    report_trouble(figures["end"])
    return figures


async def start_system(stack: Stack, tenants: dict[str, Tenant]) -> bool:
    """Tenants A and B connected before the services start (the
    crm-gateway subscribes their Zoho notifications at start)."""
    for key in ("a", "b"):
        await stack.connect(tenants[key], announce=False)
    await stack.start_services()
    return all([await stack.wait_subscribed(tenants[key].name) for key in ("a", "b")])


async def measured_phases(
    stack: Stack, tenants: dict[str, Tenant], options: PipelineOptions
) -> dict[str, Any]:
    a = tenants["a"]
    probe = LatencyProbe(
        ZohoPerson(stack.http, dict(a.zoho)), stack.qbo, a.realm, uuid.uuid4().hex[:8]
    )
    figures: dict[str, Any] = {}
    steps: dict[str, Callable[[], Awaitable[Any]]] = {
        "latency_quiet": lambda: quiet_latency(stack, probe, options),
        "zoho_to_qbo": lambda: zoho_to_qbo(stack, a, probe, options),
        "other_tenant_backfill": lambda: other_tenant(
            stack, tenants["b"], probe, options
        ),
        "qbo_to_zoho": lambda: qbo_to_zoho(stack, tenants["c"], options),
    }
    unknown = set(options.phases) - set(steps)
    if unknown:
        raise ValueError(f"unknown phases {sorted(unknown)}; known: {list(steps)}")
    try:
        for name, step in steps.items():
            if options.phases and name not in options.phases:
                continue
            figures[name] = await guarded(name, step())
    finally:
        await probe.close()
    figures["webhook_to_write_latency"] = {
        condition: probe.summary(condition)
        for condition in ("quiet", "same_tenant_backfill", "other_tenant_backfill")
    }
    return figures


def setup(options: PipelineOptions) -> dict[str, Any]:
    return {
        "qbo_latency": "latency_ms 100 + jitter 0..300 (250 +- 150 ms)",
        "qbo_fault_settings": QBO_LATENCY,
        "zoho_fault_settings": ZOHO_LATENCY,
        "qbo_limits": vars(RateLimits()),
        "zoho_edition": f"{ZOHO_EDITION}, {ZOHO_USERS} users",
        "latency_samples_per_condition": options.latency_samples,
        "sample_every_s": options.sample_every,
        "quiet_sample_every_s": options.quiet_every,
        "phase_timeout_s": options.phase_timeout,
        "naive_records": options.naive_records,
    }


def to_naive(figures: dict[str, Any]) -> dict[str, Any]:
    naive = figures.get("naive_script", {}).get("records_per_s")
    out: dict[str, Any] = {"naive_records_per_s": naive}
    for name, phase, key in (
        ("zoho_to_qbo", "zoho_to_qbo", "customers_in_qbo"),
        # The naive script syncs Zoho -> QBO only: the other way for scale.
        ("qbo_to_zoho_vs_naive_zoho_to_qbo", "qbo_to_zoho", "contacts_in_zoho"),
    ):
        rate = figures.get(phase, {}).get(key, {}).get("records_per_s")
        out[name] = round(rate / naive, 2) if rate and naive else None
    return out


def report_trouble(end: dict[str, Any]) -> None:
    letters = end["dead_letters"]["count"]
    print(f"dead letters in the store: {letters}", flush=True)
    for path, found in end["troubled_logs"].items():
        print(f"log with errors or dead letters ({found['lines']} lines): {path}")
