"""How many writes wait in the queue in front of a gateway, asked of the
broker (a passive declare: nothing is created by asking). The sweep re-sends
a write unconfirmed for minutes only when its queue is empty: a write queued
behind others is waiting for the API's quota, not lost."""

from __future__ import annotations

from common.bus import Bus
from common.bus.topology import write_queue
from common.messages import Lane


class BusBacklogs:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def waiting(self, system: str, tenant: str, lane: Lane) -> int:
        name = self.bus.names.queue(write_queue(system, tenant, lane))
        counts = (await self.bus.queue_counts([name]))[name]
        return 0 if counts is None else counts[0]
