"""The console in-process (for its HTTP surface and its store-backed
areas) and, for whole flows, the admin service of the e2e system."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from common.runtime import ServiceRunner
from common.settings import Settings
from services.admin.console import Console
from services.admin.server import SERVICE, build
from tests.admin.openapi_check import Api

TOKEN = "test-admin-token-0123456789"


@dataclass
class RunningConsole:
    base: str
    console: Console
    api: Api
    http: aiohttp.ClientSession
    app: web.Application


@pytest.fixture
async def running_console(settings: Settings) -> AsyncIterator[RunningConsole]:
    configured = settings.model_copy(update={"admin_token": SecretStr(TOKEN)})
    runner = ServiceRunner(SERVICE, configured, build)
    await runner.start(port=0)
    base = f"http://127.0.0.1:{runner.port}"
    assert isinstance(runner.built, Console)
    assert runner.context is not None
    app = runner.context.http
    try:
        async with aiohttp.ClientSession() as http:
            yield RunningConsole(base, runner.built, Api(http, base, TOKEN), http, app)
    finally:
        await runner.stop()
