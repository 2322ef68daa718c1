"""`make run`: the whole system on one machine.

Starts the embedded MongoDB-wire server once (unless MONGODB_URL is set),
the two API sandboxes, then every service as its own OS process pointed at
them; prints where each one answers; relays Ctrl-C / SIGTERM as a graceful
stop to all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet

from common.settings import SERVICE_PORTS, Settings
from common.store import EmbeddedMongo

SANDBOXES = {"zoho_sandbox": 9081, "qbo_sandbox": 9082}


async def _wait_ready(url: str, seconds: float = 30.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while loop.time() < deadline:
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    return False


def _development_secret_key(data_dir: Path) -> str:
    """`make run` on a laptop: a key kept under var/, made on first use.

    Deployments set SECRET_KEY themselves; losing this file only means the
    local connections must be authorised again.
    """
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
        print(f"SECRET_KEY not set: generated a development key in {path}", flush=True)
    return path.read_text().strip()


async def _start(
    module: str, args: list[str], env: dict[str, str]
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, env=env
    )


async def main(with_sandboxes: bool) -> int:
    settings = Settings()
    env = dict(os.environ)
    embedded: EmbeddedMongo | None = None
    if settings.mongodb_url is None:
        embedded = EmbeddedMongo(Path(settings.data_dir) / "mongo")
        env["MONGODB_URL"] = await embedded.start()
        print(f"embedded MongoDB-wire server: {env['MONGODB_URL']}", flush=True)
    if settings.secret_key is None:
        env["SECRET_KEY"] = _development_secret_key(Path(settings.data_dir))
    processes: dict[str, asyncio.subprocess.Process] = {}
    if with_sandboxes:
        for name, port in SANDBOXES.items():
            processes[name] = await _start(
                f"services.{name}", ["--port", str(port)], env
            )
    for name in SERVICE_PORTS:
        processes[name] = await _start(f"services.{name}", [], env)

    ready = True
    for name, port in SERVICE_PORTS.items():
        ok = await _wait_ready(f"http://127.0.0.1:{port}/readyz")
        ready = ready and ok
        print(
            f"{name:12} http://127.0.0.1:{port}/readyz  "
            f"{'ready' if ok else 'NOT READY'}",
            flush=True,
        )
    for name, port in SANDBOXES.items() if with_sandboxes else ():
        print(f"{name:12} http://127.0.0.1:{port}/_sandbox/stats", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    exits = [asyncio.create_task(p.wait()) for p in processes.values()]
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([stopper, *exits], return_when=asyncio.FIRST_COMPLETED)
    for name, process in processes.items():
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        elif not stop.is_set():
            print(
                f"{name} exited with {process.returncode}; stopping the rest",
                flush=True,
            )
    await asyncio.gather(*(p.wait() for p in processes.values()))
    if embedded is not None:
        await embedded.stop()
    return 0 if ready and stop.is_set() else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-sandboxes", action="store_true", help="services only")
    options = parser.parse_args()
    sys.exit(asyncio.run(main(with_sandboxes=not options.no_sandboxes)))
