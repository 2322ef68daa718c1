"""Composition root of the matcher (wired to its handlers with issue #5)."""

from __future__ import annotations

from common.runtime import ServiceContext


async def build(context: ServiceContext) -> None:
    """Queues are declared by the runtime; the sync rules come with issue #5."""
