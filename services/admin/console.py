"""What every console operation is handed: the store, the bus, the settings.

The HTTP service builds one at start; `syncctl` opens one per command
(``open_console``), so both run the same operations on the same objects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from common.bus import Bus, DeadLetters
from common.settings import Settings
from common.store import Store, open_store


class Unreachable(Exception):
    """The broker or the store does not answer; a person can fix that."""


@dataclass
class Console:
    settings: Settings
    store: Store
    bus: Bus
    dead_letters: DeadLetters


CONSOLE = web.AppKey("console", Console)


@asynccontextmanager
async def open_console(settings: Settings) -> AsyncIterator[Console]:
    """A console for one command line: opened, used, closed."""
    try:
        store = await open_store(settings)
    except Exception as exc:
        raise Unreachable(f"cannot reach the store: {exc}") from exc
    bus = Bus(settings)
    try:
        await bus.connect()
    except Exception as exc:
        await store.close()
        raise Unreachable(f"cannot reach RabbitMQ: {exc}") from exc
    try:
        yield Console(settings, store, bus, DeadLetters(store, bus))
    finally:
        await bus.close()
        await store.close()
