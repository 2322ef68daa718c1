"""The tenant's connection settings, read once for a burst of messages.

A read serves only messages created before it was sent (by ``CLOCK_MARGIN``),
and only for ``SETTINGS_TTL``. A message caused by something a person did
after saving the settings (an edit, a force sync) was created after that
save, so it is never decided with settings read before it: the change takes
effect for it at once. (A plain time-to-live cache was tried before and
reverted: a record created seconds after an operator's new field mapping
was synced with the old one, and never again; see docs/ARCHITECTURE.md.)
What a read may still serve are messages created before it: a backlog, a
retry, a dead letter replayed; those see a settings change within the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.connection_settings import ConnectionSettings
from common.messages import utcnow
from services.matcher.ports import Repository

# Seconds one read serves: a backlog reads the settings about once per
# interval, and a change reaches even messages older than it within this.
SETTINGS_TTL = 5.0
# How far the clock of the process that created a message (a gateway on
# another host) may be behind ours: NTP keeps hosts within milliseconds.
CLOCK_MARGIN = timedelta(seconds=0.25)


@dataclass(frozen=True)
class _Read:
    settings: ConnectionSettings
    sent_at: datetime  # wall clock: compared with messages' occurred_at
    expires: float  # monotonic: immune to wall-clock steps


class SettingsCache:
    def __init__(
        self,
        repository: Repository,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repository = repository
        self._monotonic = monotonic
        self._reads: dict[str, _Read] = {}

    async def get(self, tenant: str, created: datetime) -> ConnectionSettings:
        """``tenant``'s settings for a message created at ``created``: as
        stored at some moment after it (a cached read if one was sent
        after it and is not older than the TTL, else read now)."""
        read = self._reads.get(tenant)
        if (
            read is not None
            and self._monotonic() < read.expires
            and read.sent_at >= created + CLOCK_MARGIN
        ):
            return read.settings
        started, sent_at = self._monotonic(), utcnow()
        settings = await self.repository.settings(tenant)
        latest = self._reads.get(tenant)
        if latest is None or latest.sent_at <= sent_at:  # concurrent reads
            self._reads[tenant] = _Read(settings, sent_at, started + SETTINGS_TTL)
        return settings
