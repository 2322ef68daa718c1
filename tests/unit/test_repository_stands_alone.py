"""A clone with nothing beside it must work: no code, test, build or CI file
reads outside the repository's own tree (the sample payloads the tests use
live in tests/fixtures)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # runs git

REPO = Path(__file__).resolve().parents[2]
# A path climbing out of the tree to the team's folder beside it, spelled as
# a relative path, a pathlib join, or `parents[n] / ".."`. (Written in pieces
# so this file does not name that folder itself.)
SIBLING = "sha" + "red"
OUTSIDE = re.compile(rf"\.\./{SIBLING}|/ \"{SIBLING}\"|parents\[\d\] / \"\.\.\"")
CHECKED_SUFFIXES = {".py", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".sh"}
CHECKED_NAMES = {"Makefile", "run", "Dockerfile"}


def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [REPO / name for name in listed]


def test_nothing_reads_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        if path.suffix not in CHECKED_SUFFIXES and path.name not in CHECKED_NAMES:
            continue
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_sample_payloads_are_in_the_repository_with_their_sources() -> None:
    fixtures = REPO / "tests" / "fixtures"
    readme = (fixtures / "README.md").read_text()
    payloads = sorted(fixtures.glob("*/*.json"))
    assert payloads, "tests/fixtures holds no sample payloads"
    unlisted = [p.name for p in payloads if f"`{p.name}`" not in readme]
    assert unlisted == [], "each sample payload names its public source"
