"""Optional persistence: the whole world as one JSON file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from services.qbo_sandbox.company import Company
from services.qbo_sandbox.world import OAuthApp

if TYPE_CHECKING:
    from services.qbo_sandbox.world import World


def save_snapshot(world: World, path: Path) -> None:
    data = {
        "app": vars(world.app) if world.app else None,
        "default_realm": world.default_realm,
        "clock_offset": world.clock.offset_seconds,
        "companies": [company.to_json() for company in world.companies.values()],
        "tokens": world.tokens.to_json(),
    }
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data))
    os.replace(temporary, path)


def load_snapshot(world: World, path: Path) -> bool:
    if not path.exists():
        return False
    data = json.loads(path.read_text())
    world.app = OAuthApp(**data["app"]) if data["app"] else None
    world.default_realm = data["default_realm"]
    world.clock.offset_seconds = data["clock_offset"]
    for raw in data["companies"]:
        company = Company.from_json(raw)
        company.on_change = world.forward_change
        world.companies[company.realm_id] = company
    world.tokens.load_json(data["tokens"])
    return True
