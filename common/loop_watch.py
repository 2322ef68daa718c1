"""Whether the event loop is kept from running: a task that should wake
every ``EVERY_SECONDS`` notes how late it woke. Late by more than
``STALL_SECONDS`` means something held the loop (a long parse, a blocking
call, a starved CPU) and every message of the process waited that long:
``event_loop_stalled`` is logged with the delay, and all delays past a
tenth of a second add to ``sync_event_loop_stalled_seconds``."""

from __future__ import annotations

import asyncio

import structlog

from common.metrics import Metrics

log = structlog.get_logger(__name__)

EVERY_SECONDS = 0.1
COUNTED_SECONDS = 0.1
STALL_SECONDS = 0.5


async def watch_loop(metrics: Metrics | None = None) -> None:
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(EVERY_SECONDS)
        late = loop.time() - before - EVERY_SECONDS
        if late > COUNTED_SECONDS and metrics is not None:
            metrics.loop_stalls.inc(late)
        if late > STALL_SECONDS:
            log.warning("event_loop_stalled", seconds=round(late, 3))
