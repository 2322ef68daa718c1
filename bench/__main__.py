"""`make bench`: measure the building blocks and write the figures to a file.

Not a test: nothing here passes or fails on a number. Each run writes
bench/results/latest.json and appends a line per figure to
bench/results/history.jsonl, so changes can be compared over time.

    python -m bench [--quick] [--only PART[,PART...]] [--pipeline-n N]

The whole-pipeline part (bench/pipeline.py) runs N records each way, N=1,000
unless ``--pipeline-n`` or BENCH_PIPELINE_N says otherwise (10,000 is the
full run, many minutes). ``--only pipeline`` runs it alone; a run of some
parts keeps the other parts' figures of the last run in latest.json (each
part's time in ``figures_at``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
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
from bench.pipeline import PipelineOptions, pipeline
from common.settings import Settings
from common.store import EmbeddedMongo

RESULTS = Path(__file__).resolve().parent / "results"
COMPONENTS = (
    "bus",
    "store",
    "matcher",
    "matcher_scale",
    "qbo_backfill",
    "zoho_backfill",
)
PARTS = (*COMPONENTS, "pipeline")


def _vhost() -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
        check=True,
    )
    return name


async def run(
    quick: bool,
    parts: tuple[str, ...],
    pipeline_n: int,
    phases: tuple[str, ...] = (),
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    if set(parts) & set(COMPONENTS):
        figures.update(await components(quick, parts))
    if "pipeline" in parts:
        figures["pipeline"] = await pipeline(PipelineOptions.sized(pipeline_n, phases))
    return figures


async def components(quick: bool, parts: tuple[str, ...]) -> dict[str, Any]:
    """The building blocks, on a vhost and embedded MongoDB of their own."""
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
    sizes = (1000, 5000) if quick else (1000, 10_000, 50_000)
    measures = {
        "bus": lambda: bus_throughput(settings, int(5000 * scale)),
        "store": lambda: store_throughput(settings, int(2000 * scale)),
        "matcher": lambda: matcher_throughput(settings, int(1000 * scale)),
        "matcher_scale": lambda: matcher_scale(settings, sizes, 200),
        "qbo_backfill": lambda: qbo_backfill(settings, int(5000 * scale)),
        "zoho_backfill": lambda: zoho_backfill(settings, int(5000 * scale)),
    }
    figures: dict[str, Any] = {}
    try:
        for name, measure in measures.items():
            if name in parts:
                figures[name] = await measure()
    finally:
        await mongo.stop()
        await asyncio.to_thread(
            subprocess.run, ["rabbitmqctl", "-q", "delete_vhost", vhost], check=False
        )
        shutil.rmtree(data, ignore_errors=True)
    return figures


def chosen_parts(only: str | None) -> tuple[str, ...]:
    if not only:
        return PARTS
    parts = tuple(part.strip() for part in only.split(",") if part.strip())
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown parts {unknown}; choose from {', '.join(PARTS)}")
    return parts


def merged_with_last(report: dict[str, Any], parts: tuple[str, ...]) -> dict[str, Any]:
    """The last run's figures of the parts not run now, kept with their time."""
    try:
        last = json.loads((RESULTS / "latest.json").read_text())
    except (OSError, ValueError):
        return report
    figures_at = dict(last.get("figures_at") or {})
    for name in last.get("figures", {}):
        figures_at.setdefault(name, last.get("at"))
    for name in parts:
        figures_at[name] = report["at"]
    kept = {k: v for k, v in last.get("figures", {}).items() if k not in parts}
    return {
        **report,
        "figures": {**kept, **report["figures"]},
        "figures_at": figures_at,
    }


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a fifth of the sizes")
    parser.add_argument(
        "--only", help=f"comma-separated parts to run, of: {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--pipeline-n",
        type=int,
        default=int(os.environ.get("BENCH_PIPELINE_N", "1000")),
        help="records each way in the pipeline part (default 1000, or "
        "BENCH_PIPELINE_N; 10000 is the full run)",
    )
    parser.add_argument(
        "--pipeline-phases",
        default="",
        help="comma-separated measured phases of the pipeline part (default all: "
        "latency_quiet, zoho_to_qbo, other_tenant_backfill, qbo_to_zoho)",
    )
    options = parser.parse_args()
    phases = tuple(p for p in options.pipeline_phases.split(",") if p)
    parts = chosen_parts(options.only)
    # A stop (kill, a CI timeout) cleans up as Ctrl-C does; a background
    # job started from a script ignores SIGINT, so SIGTERM is its way.
    signal.signal(signal.SIGTERM, _interrupted)
    started = time.perf_counter()
    try:
        figures = asyncio.run(run(options.quick, parts, options.pipeline_n, phases))
    except KeyboardInterrupt:
        print("interrupted: every process stopped, temp dirs and vhosts removed")
        sys.exit(130)
    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": sys.version.split()[0],
        "quick": options.quick,
        "parts": list(parts),
        "seconds": round(time.perf_counter() - started, 1),
        "figures": figures,
    }
    RESULTS.mkdir(exist_ok=True)
    latest = merged_with_last(report, parts) if parts != PARTS else report
    (RESULTS / "latest.json").write_text(json.dumps(latest, indent=2) + "\n")
    with (RESULTS / "history.jsonl").open("a") as history:
        history.write(json.dumps(report) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
