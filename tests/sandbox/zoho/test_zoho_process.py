"""`python -m services.zoho_sandbox` starts, serves, and keeps a snapshot."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start(port: int, snapshot: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.zoho_sandbox",
        "--port",
        str(port),
        "--snapshot",
        str(snapshot),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def call_when_up(session, method, url, **kwargs):
    for _ in range(200):
        try:
            async with session.request(method, url, **kwargs) as response:
                return response.status, await response.json()
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.05)
    raise AssertionError("sandbox did not start")


async def stop(process: asyncio.subprocess.Process) -> None:
    process.terminate()
    await asyncio.wait_for(process.wait(), 10)


async def test_process_serves_and_restores_its_snapshot(tmp_path):
    port, snapshot = free_port(), tmp_path / "zoho.json"
    base = f"http://127.0.0.1:{port}"
    process = await start(port, snapshot)
    try:
        async with aiohttp.ClientSession() as session:
            status, creds = await call_when_up(
                session, "POST", base + "/_sandbox/reset", json={"contacts": 5}
            )
            assert status == 200
            assert creds["api_domain"] == base
    finally:
        await stop(process)
    assert snapshot.exists()
    process = await start(port, snapshot)
    try:
        async with aiohttp.ClientSession() as session:
            form = {
                "grant_type": "refresh_token",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "refresh_token": creds["refresh_token"],
            }
            _, tokens = await call_when_up(
                session, "POST", base + "/oauth/v2/token", data=form
            )
            headers = {"Authorization": f"Zoho-oauthtoken {tokens['access_token']}"}
            _, count = await call_when_up(
                session, "GET", base + "/crm/v8/Contacts/actions/count", headers=headers
            )
            assert count == {"count": 5}
    finally:
        await stop(process)
