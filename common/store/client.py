"""Opening the database: real MongoDB when MONGODB_URL is set, else embedded.

Datetimes: the embedded server turns a datetime written by ``$set`` on an
existing document into a string (found while writing the conformance suite),
so stored times that are compared or sorted are ISO-8601 UTC strings
(``common.store.times``). Real datetimes are used only for TTL fields, which
are written on insert.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from common.settings import Settings
from common.store.commands import CommandCounter
from common.store.embedded import EmbeddedMongo

log = structlog.get_logger(__name__)

Document = dict[str, Any]

CLIENT_OPTIONS: dict[str, Any] = {"connectTimeoutMS": 5000}
# The embedded server answers a new connection's handshake late when busy.
# A backfill's hundreds of concurrent commands made the driver open
# connection after connection, one handshake took longer than 5 s, and the
# driver paused and cleared its pool, failing every command in flight (1,355
# at once in one 10,000-record run). A connection is given 30 s to open.
# (Capping the pool at 8 instead queued a person's command in the driver
# behind hundreds of a backfill's: p95 of 16 s in the same run.)
EMBEDDED_OPTIONS: dict[str, Any] = {"connectTimeoutMS": 30000}
EMBEDDED_SERVER = "nx_27017"  # what the embedded server's buildInfo says


@dataclass(frozen=True)
class IndexSpec:
    collection: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    expire_after_seconds: int | None = None
    name: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def index_name(self) -> str:
        return self.name or "_".join(f"{key}_{order}" for key, order in self.keys)


@dataclass
class Store:
    client: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    embedded: EmbeddedMongo | None = None
    server: str = "mongodb"  # or EMBEDDED_SERVER: the embedded MongoDB-wire server
    commands: CommandCounter = field(default_factory=CommandCounter)

    @property
    def ttl_indexes_are_cheap(self) -> bool:
        """Real MongoDB expires documents in the background. The embedded
        server checks a TTL collection on every read (a find gets slower as
        the collection grows: 1 ms at 500 entries, 9 ms at 6,000), so there
        expiry is done by a periodic delete instead."""
        return self.server != EMBEDDED_SERVER

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
        except Exception:
            return False
        return True

    async def ensure_indexes(self, specs: list[IndexSpec]) -> None:
        for spec in specs:
            options: dict[str, Any] = {"name": spec.index_name(), **spec.options}
            if spec.unique:
                options["unique"] = True
            if spec.expire_after_seconds is not None:
                options["expireAfterSeconds"] = spec.expire_after_seconds
            await self.db[spec.collection].create_index(list(spec.keys), **options)

    async def close(self) -> None:
        await self.client.close()
        if self.embedded is not None:
            await self.embedded.stop()


def _shared_embedded_url(data_dir: Path) -> str | None:
    """The URL of an embedded server another process of ours already runs."""
    marker = data_dir / "server.json"
    try:
        info = json.loads(marker.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return str(info["url"])


def write_shared_marker(data_dir: Path, url: str) -> None:
    (data_dir / "server.json").write_text(json.dumps({"pid": os.getpid(), "url": url}))


async def open_store(
    settings: Settings, *, database: str | None = None, share: bool = False
) -> Store:
    """Connect to MONGODB_URL, or to the embedded server (started if needed).

    ``share`` records the embedded server in ``var/mongo/server.json`` so
    other local processes attach to it instead of starting their own.
    """
    embedded: EmbeddedMongo | None = None
    if settings.mongodb_url is not None:
        url = settings.mongodb_url.get_secret_value()
    else:
        data_dir = settings.data_dir / "mongo"
        shared = _shared_embedded_url(data_dir)
        if shared is not None:
            url = shared
        else:
            embedded = EmbeddedMongo(data_dir)
            url = await embedded.start()
            if share:
                write_shared_marker(data_dir, url)
    commands = CommandCounter()

    def connect(options: dict[str, Any]) -> AsyncMongoClient[Document]:
        return AsyncMongoClient(
            url,
            tz_aware=True,
            serverSelectionTimeoutMS=5000,
            event_listeners=[commands],
            **options,
        )

    client = connect(CLIENT_OPTIONS)
    info = await client.admin.command("buildInfo")
    server = str(info.get("process") or "mongodb")
    if server == EMBEDDED_SERVER:  # ours or another's (tests, the benchmark)
        await client.close()
        client = connect(EMBEDDED_OPTIONS)
    db = client[database or settings.mongodb_database]
    return Store(
        client=client,
        db=db,
        embedded=embedded,
        server=server,
        commands=commands,
    )
