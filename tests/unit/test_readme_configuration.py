"""The README's configuration table names every setting the code reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.settings import Settings

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_and_nothing_else() -> None:
    text = README.read_text()
    table = text[text.index("## Configuration") :]
    table = table[: table.index("\n## ", 5)]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", table, re.MULTILINE))
    fields = {name.upper() for name in Settings.model_fields}
    assert documented == fields


def test_documented_defaults_match_the_code() -> None:
    text = README.read_text()
    rows = dict(re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]+) \|", text, re.MULTILINE))
    defaults = Settings.model_fields
    for name, shown in rows.items():
        default = defaults[name.lower()].default
        shown = shown.strip().strip("`")
        if default is None:
            assert shown == "unset", name
        elif default == "":
            assert shown == "empty", name
        elif isinstance(default, tuple):
            assert shown == "[" + ",".join(str(v) for v in default) + "]", name
        elif hasattr(default, "get_secret_value"):
            assert shown == default.get_secret_value(), name
        else:
            assert shown == str(default), name
