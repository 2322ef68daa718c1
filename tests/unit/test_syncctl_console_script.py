"""`syncctl` is installed as a console script (`make install` puts it in
.venv/bin) and a person's mistake is one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # runs the console script

SYNCCTL = Path(sys.executable).parent / "syncctl"


def syncctl(*argv: str) -> subprocess.CompletedProcess[str]:
    assert SYNCCTL.exists(), f"{SYNCCTL} missing: run `make install`"
    return subprocess.run(
        [str(SYNCCTL), *argv], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_console_script_answers_help() -> None:
    done = syncctl("--help")

    assert done.returncode == 0
    assert done.stdout.startswith("usage: syncctl")
    for topic in ("dead-letters", "backfill", "force-sync", "record", "demo"):
        assert topic in done.stdout


def test_an_unknown_entity_is_one_line_and_exit_2() -> None:
    done = syncctl(
        "force-sync", "--tenant", "demo", "--system", "crm", "--entity", "lead", "1"
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "syncctl: unknown crm entity 'lead'; accepted: contact, account, "
        "product, invoice, quote, vendor\n"
    )


# A command whose answer is long, as a listing is: syncctl's own entry point
# with the command's work replaced by printing (argparse's --help swallows a
# closed pipe itself, so it cannot show this).
LONG_ANSWER = """
import services.admin.syncctl as syncctl

async def answer(argv):
    for number in range(10_000):
        print(f"line {number}")
    return 0

syncctl.run = answer
syncctl.main()
"""


def test_a_reader_that_goes_away_is_no_traceback() -> None:
    """`syncctl … | head`: the reader closes the pipe before the answer is
    written; no traceback, exit 141 (as for SIGPIPE)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: every write fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-c", LONG_ANSWER],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
            cwd=Path(__file__).resolve().parents[2],
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 141
