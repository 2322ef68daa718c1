"""`syncctl` is installed as a console script (`make install` puts it in
.venv/bin) and a person's mistake is one line, never a traceback."""

from __future__ import annotations

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
