"""The scheduler publishes one round of polls and matcher sweeps per tick,
once across replicas."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import SecretStr

from common.bus import QueueSpec
from common.connections import Connection, SystemCredentials
from common.messages import Envelope
from common.runtime import ServiceContext, ServiceRunner
from common.settings import Settings
from services.scheduler.service import Scheduler, build
from tests.support import holds, wait_for

pytestmark = pytest.mark.integration


def side(**extra: str) -> SystemCredentials:
    return SystemCredentials(
        client_id="id",
        client_secret=SecretStr("s"),
        api_base="http://x",
        token_url="http://x/token",
        **extra,
    )


async def test_tick_polls_every_active_connection_once(settings: Settings) -> None:
    quiet = settings.model_copy(update={"poll_interval_seconds": 3600})
    runners = [ServiceRunner("scheduler", quiet, build) for _ in range(2)]
    for runner in runners:
        await runner.start(port=0)
    polls: list[Envelope] = []
    sweeps: list[Envelope] = []

    async def collect(envelope: Envelope) -> Sequence[Envelope]:
        polls.append(envelope)
        return []

    async def collect_sweep(envelope: Envelope) -> Sequence[Envelope]:
        sweeps.append(envelope)
        return []

    async def probe(context: ServiceContext) -> None:
        context.consume(QueueSpec("polls", ("poll.#",)), collect)
        context.consume(QueueSpec("sweeps", ("command.#",)), collect_sweep)

    listener = ServiceRunner("matcher", settings, probe)
    await listener.start(port=0)
    try:
        first, second = (r.built for r in runners)
        assert isinstance(first, Scheduler)
        assert isinstance(second, Scheduler)
        await first.connections.save(
            Connection(tenant="acme", qbo=side(realm_id="1"), crm=side())
        )
        await first.connections.save(Connection(tenant="idle", qbo=side(realm_id="2")))
        await first.connections.mark("idle", "qbo", "needs_reauth", "refused")
        # The runners' own first ticks ran before any connection existed.
        assert await first.tick() == 4  # a poll and a sweep per active side
        assert await second.tick() == 0  # same tick, other replica: nothing
        await wait_for(lambda: holds(len(polls) == 2 and len(sweeps) == 2))
        assert sorted(p.routing_key for p in polls) == ["poll.crm.*", "poll.qbo.*"]
        assert {p.tenant for p in polls} == {"acme"}
        assert sorted(s.routing_key for s in sweeps) == [
            "command.crm.*",
            "command.qbo.*",
        ]
        assert {s.tenant for s in sweeps} == {"acme"}
        assert all(s.payload == {"action": "sweep"} for s in sweeps)
    finally:
        await listener.stop()
        for runner in runners:
            await runner.stop()
