"""How many writes wait in the queue in front of a gateway, asked of the
broker (a passive declare: nothing is created by asking), and how many
messages wait in the matcher's own queues. The sweep re-sends a write
unconfirmed for minutes only when its queue is empty and no confirmation
waits: a write queued behind others is waiting for the API's quota, and one
whose confirmation is queued at the matcher was done, neither is lost."""

from __future__ import annotations

from common.bus import Bus
from common.bus.topology import matcher_queue, write_queue
from common.messages import Lane


class BusBacklogs:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def waiting(self, system: str, tenant: str, lane: Lane) -> int:
        names = [
            self.bus.names.queue(write_queue(system, tenant, lane)),
            self.bus.names.queue(matcher_queue(tenant, lane)),
        ]
        counts = await self.bus.queue_counts(names)
        return sum(ready for ready, _ in filter(None, counts.values()))
