"""Wrappers every gateway puts around its handlers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import structlog

from common.bus.consumer import Handler
from common.errors import PermanentError
from common.gateway.parking import ParkedWork
from common.gateway.tokens import NeedsReauthorization
from common.messages import Envelope

log = structlog.get_logger(__name__)


def parking(parked: ParkedWork, handler: Handler) -> Handler:
    """Work for a connection that needs re-authorisation waits, not fails.

    ParkedWork.resume gives the copy a new id, so the inbox that marks this
    one once we return does not drop it.
    """

    async def run(envelope: Envelope) -> Sequence[Envelope]:
        try:
            return await handler(envelope)
        except NeedsReauthorization as exc:
            await parked.park(envelope, exc.reason)
            log.warning("work_parked", tenant=envelope.tenant, reason=exc.reason)
            return []

    return run


def by_kind(service: str, handlers: Mapping[str, Handler]) -> Handler:
    """One queue, several message kinds: the explicit handler table."""

    async def run(envelope: Envelope) -> Sequence[Envelope]:
        handler = handlers.get(envelope.kind)
        if handler is None:
            raise PermanentError(f"the {service} has no handler for {envelope.kind}")
        return await handler(envelope)

    return run
