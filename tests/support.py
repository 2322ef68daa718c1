"""Helpers for tests: bounded waits on conditions, never bare sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def wait_for(
    condition: Callable[[], Awaitable[bool]], seconds: float = 10.0
) -> None:
    """Poll ``condition`` until true; fail the test after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {seconds}s")
        await asyncio.sleep(0.05)


async def holds(value: bool) -> bool:
    """Wraps a plain expression for ``wait_for(lambda: holds(x == y))``."""
    return value
