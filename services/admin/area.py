"""An area of the console: its API routes, its page, its syncctl commands.

Each area is a package under services/admin/ (``dead_letters``, ``records``,
...) with ``ops.py`` (the operations, shared by the API and syncctl),
``api.py``, ``pages.py``, ``cli.py``, ``templates/`` and ``openapi.yaml``,
and exports ``AREA``. services/admin/areas.py lists them.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from common.settings import Settings

# `syncctl`: an area adds its topics to the top-level subparsers; each leaf
# parser sets ``run`` (set_defaults) to the coroutine that does the work.
AddCommands = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
RunCommand = Callable[[argparse.Namespace, Settings], Awaitable[int]]


@dataclass(frozen=True)
class Area:
    name: str
    title: str  # in the dashboard's navigation
    page: str | None  # the page's path, e.g. "/ui/dead-letters"
    routes: Callable[[], list[web.RouteDef]]
    commands: AddCommands | None = None
