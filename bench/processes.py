"""OS processes for the whole-pipeline benchmark: start a module with its
log file, wait until it answers, sample its memory and CPU from /proc, stop
it (SIGTERM, then SIGKILL after a grace period).

Children start in their own session, so a Ctrl-C in the terminal reaches
only the benchmark, which then stops them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
# Outside the kernel's ephemeral range, as the end-to-end tests pick theirs.
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STOP_GRACE_SECONDS = 30.0


@dataclass
class Launched:
    """One child process and where its output goes."""

    name: str
    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None


async def launch(
    name: str, module: str, args: list[str], env: dict[str, str], logs: Path
) -> Launched:
    """``python -m module args`` with stdout and stderr in ``logs/name.log``."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    return Launched(name, process, log)


async def wait_answering(url: str, name: str, seconds: float = 60.0) -> None:
    """Until ``url`` answers 200; fails after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        while loop.time() < deadline:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{name} did not answer at {url} within {seconds:.0f} s")


async def stop_all(launched: list[Launched]) -> None:
    """SIGTERM to every running child, then SIGKILL to whoever is left after
    the grace period; reaps them all."""
    for child in launched:
        if child.running:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
    for child in launched:
        try:
            await asyncio.wait_for(child.process.wait(), STOP_GRACE_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
            await child.process.wait()


# -- memory and CPU ----------------------------------------------------------
def rss_bytes(pid: int) -> int | None:
    """Resident set size from /proc/<pid>/status (None once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time from /proc/<pid>/stat (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces; the fields after it are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLOCK_TICKS


@dataclass
class Usage:
    """What one process used over a sampling window."""

    peak_rss: int = 0
    cpu_start: float | None = None
    cpu_end: float | None = None

    @property
    def cpu(self) -> float | None:
        if self.cpu_start is None or self.cpu_end is None:
            return None
        return self.cpu_end - self.cpu_start


@dataclass
class ResourceSampler:
    """Peak RSS (sampled every ``every`` seconds) and CPU seconds over a
    window, per process: ``start()`` ... ``await stop()``."""

    pids: dict[str, int]
    every: float = 0.5
    usage: dict[str, Usage] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.usage = {
            name: Usage(cpu_start=cpu_seconds(pid)) for name, pid in self.pids.items()
        }
        self._sample()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, Usage]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._sample()
        for name, pid in self.pids.items():
            self.usage[name].cpu_end = cpu_seconds(pid)
        return self.usage

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            self._sample()

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            rss = rss_bytes(pid)
            if rss is not None and rss > self.usage[name].peak_rss:
                self.usage[name].peak_rss = rss
