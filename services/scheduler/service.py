"""Composition root of the scheduler."""

from __future__ import annotations

from common.runtime import ServiceContext


async def build(context: ServiceContext) -> None:
    """Nothing beyond the runtime yet: poll and backfill scheduling come with
    the gateways (issue #4)."""
