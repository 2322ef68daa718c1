"""Composition root of the qbo-gateway."""

from __future__ import annotations

from common.runtime import ServiceContext


async def build(context: ServiceContext) -> None:
    """Queues are declared by the runtime; API work comes with issue #4."""
