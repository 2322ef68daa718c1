"""requestid: a repeat is not executed again and gets the same answer."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Qbo

pytestmark = pytest.mark.sandbox


async def test_replay_returns_the_first_answer(qbo: Qbo) -> None:
    body = {"DisplayName": "Once Only"}
    first = await qbo.post("customer", body, requestid="req-1")
    second = await qbo.post("customer", body, requestid="req-1")
    assert first.status == second.status == 200
    assert await first.text() == await second.text()
    assert await qbo.query("select count(*) from Customer") == {"totalCount": 1}
    other = await qbo.post("customer", body, requestid="req-2")
    assert (await qbo.fault(other))["code"] == "6240"


async def test_faults_are_replayed_too(qbo: Qbo) -> None:
    first = await qbo.post("customer", {"Notes": "no name"}, requestid="bad-1")
    again = await qbo.post("customer", {"DisplayName": "Fine"}, requestid="bad-1")
    assert first.status == again.status == 400
    assert await first.text() == await again.text()


async def test_concurrent_repeats_run_once(qbo: Qbo) -> None:
    await qbo.admin("faults", {"latency_ms": 100})
    calls = [
        qbo.post("customer", {"DisplayName": "Racer"}, requestid="race")
        for _ in range(5)
    ]
    responses = await asyncio.gather(*calls)
    assert {r.status for r in responses} == {200}
    assert len({await r.text() for r in responses}) == 1
    assert await qbo.query("select count(*) from Customer") == {"totalCount": 1}


async def test_requestid_is_per_realm_and_bounded(qbo: Qbo) -> None:
    await qbo.post("customer", {"DisplayName": "Realm One"}, requestid="shared")
    await qbo.admin("companies", {"seed": 3})
    other = await qbo.admin("companies", {"seed": 4})
    qbo.creds = other
    response = await qbo.post(
        "customer", {"DisplayName": "Realm Two"}, requestid="shared"
    )
    assert (await qbo.ok(response))["Customer"]["DisplayName"] == "Realm Two"
    too_long = await qbo.post("customer", {"DisplayName": "X"}, requestid="r" * 51)
    assert (await qbo.fault(too_long))["code"] == "6000"
