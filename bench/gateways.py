"""Backfills against the sandboxes: records per second, API calls per record."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from common.bus import Consumer, DeadLetters, QueueSpec
from common.connections import Connection, Connections
from common.crypto import TokenCipher
from common.gateway.cursors import Cursors
from common.inbox import Inbox
from common.messages import Envelope
from common.operator.backfills import start_backfill
from common.operator.sandbox_connection import qbo_sandbox_side, zoho_sandbox_side
from common.runtime import ServiceRunner
from common.settings import Settings
from services.crm_gateway.service import build as build_crm
from services.qbo_gateway.service import build as build_qbo
from services.qbo_sandbox import SandboxConfig as QboConfig
from services.qbo_sandbox import create_app as qbo_app
from services.qbo_sandbox.config import RateLimits
from services.zoho_sandbox import SandboxConfig as ZohoConfig
from services.zoho_sandbox import create_app as zoho_app

TENANT = "bench"


async def _backfill(
    settings: Settings,
    service: str,
    build: Any,
    system: str,
    entity: str,
    connection: Connection,
    count: int,
    sandbox: str,
) -> dict[str, Any]:
    tenant_settings = settings.model_copy(update={"bus_prefix": f"{system}bf."})
    runner = ServiceRunner(service, tenant_settings, build)
    await runner.start(port=0)
    assert runner.context is not None
    context = runner.context
    cipher = TokenCipher(settings.secret_key)
    await Connections(context.store, cipher).save(connection)
    seen: set[str] = set()
    published = 0

    async def collect(envelope: Envelope) -> Sequence[Envelope]:
        nonlocal published
        published += 1
        seen.add(envelope.external_id or "")
        return []

    probe = Consumer(
        context.bus,
        QueueSpec("bench.changes", (f"change.{system}.{entity}",)),
        collect,
        inbox=Inbox(context.store),
        dead_letters=DeadLetters(context.store, context.bus),
        prefetch=500,
    )
    await probe.start()
    async with aiohttp.ClientSession() as http:
        # Count only the backfill's calls (the sandboxes clear stats differently).
        if system == "qbo":
            await http.delete(f"{sandbox}/_sandbox/stats")
        else:
            await http.post(f"{sandbox}/_sandbox/stats/reset")
        started = time.perf_counter()
        await start_backfill(context.bus, TENANT, system, date(2000, 1, 1), (entity,))
        cursors = Cursors(context.store)
        while True:
            cursor = await cursors.backfill(TENANT, system, entity)
            if cursor.get("status") == "done" and len(seen) >= count:
                break
            if time.perf_counter() - started > 600:
                raise TimeoutError(f"{system} backfill did not finish: {cursor}")
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        async with http.get(f"{sandbox}/_sandbox/stats") as response:
            stats = await response.json()
    await probe.stop()
    await runner.stop()
    calls = int(stats.get("api_calls", stats.get("total", 0)))
    return {
        "records": count,
        "seconds": round(elapsed, 2),
        "records_per_s": round(count / elapsed, 1),
        "api_calls": calls,
        "api_calls_per_record": round(calls / count, 4),
        "change_events_published": published,
        "distinct_records_published": len(seen),
    }


async def qbo_backfill(settings: Settings, count: int) -> dict[str, Any]:
    server = TestServer(
        qbo_app(QboConfig(port=0, limits=RateLimits())), host="127.0.0.1", port=0
    )
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        qbo = await _reset(f"{base}/_sandbox/reset", {"seed": 1, "customers": count})
        connection = Connection(tenant=TENANT, qbo=qbo_sandbox_side(qbo, "v"))
        return await _backfill(
            settings,
            "qbo_gateway",
            build_qbo,
            "qbo",
            "customer",
            connection,
            count,
            base,
        )
    finally:
        await server.close()


async def zoho_backfill(settings: Settings, count: int) -> dict[str, Any]:
    server = TestServer(zoho_app(ZohoConfig(port=0)), host="127.0.0.1", port=0)
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        zoho = await _reset(f"{base}/_sandbox/reset", {"seed": 1, "contacts": count})
        connection = Connection(tenant=TENANT, crm=zoho_sandbox_side(zoho))
        return await _backfill(
            settings,
            "crm_gateway",
            build_crm,
            "crm",
            "contact",
            connection,
            count,
            base,
        )
    finally:
        await server.close()


async def _reset(url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
        response.raise_for_status()
        answer: dict[str, Any] = await response.json()
        return answer
