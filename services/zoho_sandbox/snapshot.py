"""Optional persistence: the orgs and their tokens, written as one JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from .org import Org
from .state import SandboxState


def save_snapshot(state: SandboxState, path: Path) -> None:
    data = {
        "clock_offset": state.clock.offset_seconds,
        "orgs": [org.to_json() for org in state.orgs.values()],
        "refresh_tokens": state.tokens.refresh,
    }
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data))
    temporary.replace(path)


def load_snapshot(state: SandboxState, path: Path) -> bool:
    if not path.exists():
        return False
    data = json.loads(path.read_text())
    state.clock.offset_seconds = float(data.get("clock_offset", 0))
    state.orgs = {entry["name"]: Org.from_json(entry) for entry in data["orgs"]}
    state.tokens.refresh = dict(data.get("refresh_tokens", {}))
    return True
