"""The handler table: message kind → handler, and the ``Matcher`` the bus calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import structlog

from common.connection_settings import ConnectionSettings
from common.entities import ENTITIES
from common.errors import PermanentError
from common.messages import Envelope
from services.matcher.changes import on_change
from services.matcher.commands import on_command
from services.matcher.context import Context
from services.matcher.letters import MemoryLetters
from services.matcher.ports import Backlogs, Letters, NoBacklogs, Repository
from services.matcher.settings_cache import SettingsCache
from services.matcher.written import on_written

log = structlog.get_logger(__name__)

Handler = Callable[[Context], Awaitable[list[Envelope]]]

HANDLERS: dict[str, Handler] = {
    "change": on_change,
    "written": on_written,
    "command": on_command,
}


def inbound_routing_keys() -> list[str]:
    """Every routing key the matcher consumes (queue ``matcher.events``)."""
    return [
        f"{kind}.{system}.{entity}"
        for kind in HANDLERS
        for system, entities in ENTITIES.items()
        for entity in entities
    ]


class Matcher:
    def __init__(
        self,
        repository: Repository,
        letters: Letters | None = None,
        backlogs: Backlogs | None = None,
    ) -> None:
        self.repository = repository
        self.letters = letters or MemoryLetters()
        self.backlogs = backlogs or NoBacklogs()
        self.settings = SettingsCache(repository)

    async def handle(self, envelope: Envelope) -> Sequence[Envelope]:
        """The bus's handler: returns what to publish; raises typed errors."""
        handler = HANDLERS.get(envelope.kind)
        if handler is None:
            raise PermanentError(f"the matcher does not handle {envelope.routing_key}")

        async def read_settings() -> ConnectionSettings:
            return await self.settings.get(envelope.tenant, envelope.occurred_at)

        context = Context(
            env=envelope,
            repo=self.repository,
            known_settings=None,
            letters=self.letters,
            read_settings=read_settings,
            backlogs=self.backlogs,
        )
        out = await handler(context)
        log.debug("matcher_handled", key=envelope.routing_key, emitted=len(out))
        return out
