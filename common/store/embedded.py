"""The embedded MongoDB-wire server (nx-27017, SQLite underneath).

Started as a child process on a free loopback port whenever MONGODB_URL is
not set, so a fresh clone needs no database install. It is not MongoDB: the
store keeps to what tests/integration/test_store_conformance.py proves.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import structlog

log = structlog.get_logger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_command() -> list[str]:
    beside_python = Path(sys.executable).parent / "nx-27017"
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("nx-27017")
    if found is None:
        raise RuntimeError(
            "nx-27017 is not installed; run `make install` or set MONGODB_URL"
        )
    return [found]


class EmbeddedMongo:
    """A private nx-27017 process: ``async with EmbeddedMongo(dir) as url: ...``.

    A plain subprocess (not asyncio's) so it can be started in one event loop
    and stopped in another, as session-wide test fixtures do.
    """

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start_sync(self, timeout: float = 20.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [
                *_server_command(),
                "--data-dir",
                str(self.data_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-file",
                str(self.data_dir / "nx-27017.log"),
                "--pid-file",
                str(self.data_dir / f"nx-27017-{self.port}.pid"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal is ours to relay
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"nx-27017 exited with {self._process.returncode}; "
                    f"see {self.data_dir / 'nx-27017.log'}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            except OSError:
                time.sleep(0.05)
                continue
            log.info(
                "embedded_mongo_started", port=self.port, data_dir=str(self.data_dir)
            )
            return self.url
        self.stop_sync()
        raise TimeoutError(f"nx-27017 did not listen on {self.port} in {timeout}s")

    def stop_sync(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.info("embedded_mongo_stopped", port=self.port)

    async def start(self, wait_seconds: float = 20.0) -> str:
        return await asyncio.to_thread(self.start_sync, wait_seconds)

    async def stop(self) -> None:
        await asyncio.to_thread(self.stop_sync)

    async def __aenter__(self) -> str:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
