"""`make bench`: measure the building blocks and write the figures to a file.

Not a test: nothing here passes or fails on a number. Each run writes
bench/results/latest.json and appends a line per figure to
bench/results/history.jsonl, so changes can be compared over time.

    python -m bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from pydantic import SecretStr

from bench.components import bus_throughput, matcher_throughput, store_throughput
from bench.gateways import qbo_backfill, zoho_backfill
from bench.matcher_scale import matcher_scale
from common.settings import Settings
from common.store import EmbeddedMongo

RESULTS = Path(__file__).resolve().parent / "results"


def _vhost() -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
        check=True,
    )
    return name


async def run(quick: bool) -> dict[str, Any]:
    scale = 0.2 if quick else 1.0
    vhost = _vhost()
    data = Path(tempfile.mkdtemp(prefix="bench-"))
    mongo = EmbeddedMongo(data / "mongo")
    url = await mongo.start()
    settings = Settings(
        amqp_url=SecretStr(f"amqp://guest:guest@127.0.0.1:5672/{vhost}"),
        mongodb_url=SecretStr(url),
        mongodb_database="bench",
        data_dir=data,
        secret_key=SecretStr(Fernet.generate_key().decode()),
        log_format="console",
        log_level="WARNING",
    )
    figures: dict[str, Any] = {}
    try:
        figures["bus"] = await bus_throughput(settings, int(5000 * scale))
        figures["store"] = await store_throughput(settings, int(2000 * scale))
        figures["matcher"] = await matcher_throughput(settings, int(1000 * scale))
        sizes = (1000, 5000) if quick else (1000, 10_000, 50_000)
        figures["matcher_scale"] = await matcher_scale(settings, sizes, 200)
        figures["qbo_backfill"] = await qbo_backfill(settings, int(5000 * scale))
        figures["zoho_backfill"] = await zoho_backfill(settings, int(5000 * scale))
    finally:
        await mongo.stop()
        await asyncio.to_thread(
            subprocess.run, ["rabbitmqctl", "-q", "delete_vhost", vhost], check=False
        )
        shutil.rmtree(data, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fifth of the sizes")
    options = parser.parse_args()
    started = time.perf_counter()
    figures = asyncio.run(run(options.quick))
    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": sys.version.split()[0],
        "quick": options.quick,
        "seconds": round(time.perf_counter() - started, 1),
        "figures": figures,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    with (RESULTS / "history.jsonl").open("a") as history:
        history.write(json.dumps(report) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
