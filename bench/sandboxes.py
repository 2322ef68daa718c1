"""The two API sandboxes as the benchmark sees them: their admin surface
(seeding, faults, counts, request statistics; none of it spends API quota)
and their API as a person or a naive script would call it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp

# The realistic latency of the benchmark: QBO 250 ms +- 150 ms, Zoho 200 ms.
QBO_LATENCY = {"latency_ms": 100, "latency_jitter_ms": 300}
ZOHO_LATENCY = {"latency_ms": 200}
CONTACT_MARKER = "QuickBooks_Customer_Id"
THROTTLE_RETRIES = 20


@dataclass
class Admin:
    """A sandbox's ``/_sandbox/`` surface (no auth, not counted as API calls)."""

    http: aiohttp.ClientSession
    base: str

    async def get(self, path: str, **params: str) -> Any:
        url = f"{self.base}/_sandbox/{path}"
        async with self.http.get(url, params=params) as response:
            response.raise_for_status()
            return await response.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.base}/_sandbox/{path}"
        async with self.http.post(url, json=body or {}) as response:
            response.raise_for_status()
            return await response.json()


class QboAdmin(Admin):
    async def reset(self, body: dict[str, Any]) -> dict[str, Any]:
        """Wipes the sandbox; the first company. Limits back to the real ones."""
        answer: dict[str, Any] = await self.post("reset", body)
        return answer

    async def add_company(self, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = await self.post("companies", body)
        return answer

    async def faults(self, settings: dict[str, Any]) -> None:
        await self.post("faults", settings)

    async def webhooks(self, url: str, verifier: str) -> None:
        await self.post("webhooks", {"url": url, "verifier_token": verifier})

    async def clear_stats(self) -> None:
        async with self.http.delete(f"{self.base}/_sandbox/stats") as response:
            response.raise_for_status()

    async def stats(self) -> dict[str, Any]:
        answer: dict[str, Any] = await self.get("stats")
        return answer

    async def customers(self, realm: str, email_contains: str = "") -> dict[str, Any]:
        """``count``, ``distinct_emails``, ``matching`` (emails) of a company."""
        answer: dict[str, Any] = await self.get(
            "count", entity="Customer", realm_id=realm, email_contains=email_contains
        )
        return answer


class ZohoAdmin(Admin):
    async def reset(self, org: str, body: dict[str, Any]) -> dict[str, Any]:
        """Replaces one org; clears the faults and the statistics of all."""
        answer: dict[str, Any] = await self.post("reset", {"org": org, **body})
        return answer

    async def faults(self, settings: dict[str, Any]) -> None:
        await self.post("faults", settings)

    async def clear_stats(self) -> None:
        await self.post("stats/reset")

    async def stats(self) -> dict[str, Any]:
        answer: dict[str, Any] = await self.get("stats")
        return answer

    async def contacts(self, org: str, email_contains: str = "") -> dict[str, Any]:
        """``count``, ``filled`` (contacts with the QBO id marker),
        ``matching`` and ``matching_filled`` of an org."""
        answer: dict[str, Any] = await self.get(
            "count",
            org=org,
            module="Contacts",
            filled=CONTACT_MARKER,
            email_contains=email_contains,
        )
        return answer


@dataclass
class ZohoPerson:
    """Zoho's API with an org's own tokens, one call at a time, as a person's
    tool would call it (a 429 is waited out, an expired token refreshed)."""

    http: aiohttp.ClientSession
    creds: dict[str, Any]
    calls: int = 0
    throttled: int = 0

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        for _ in range(THROTTLE_RETRIES):
            status, body, retry_after = await self._once(method, path, **kwargs)
            if status == 401:
                await self._refresh()
                continue
            if status != 429:
                return status, body
            self.throttled += 1
            await asyncio.sleep(retry_after)
        return status, body

    async def _once(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[int, Any, float]:
        headers = {"Authorization": f"Zoho-oauthtoken {self.creds['access_token']}"}
        url = f"{self.creds['api_domain']}/crm/v8{path}"
        self.calls += 1
        async with self.http.request(method, url, headers=headers, **kwargs) as answer:
            text = await answer.text()
            retry_after = float(answer.headers.get("Retry-After", "1"))
            return answer.status, (json.loads(text) if text else None), retry_after

    async def _refresh(self) -> None:
        form = {
            "grant_type": "refresh_token",
            "client_id": self.creds["client_id"],
            "client_secret": self.creds["client_secret"],
            "refresh_token": self.creds["refresh_token"],
        }
        url = f"{self.creds['accounts_server']}/oauth/v2/token"
        async with self.http.post(url, data=form) as answer:
            self.creds["access_token"] = (await answer.json())["access_token"]

    async def insert_contact(self, record: dict[str, Any]) -> str:
        status, body = await self.call("POST", "/Contacts", json={"data": [record]})
        if status != 201:
            raise RuntimeError(f"zoho refused the contact: {status} {body}")
        return str(body["data"][0]["details"]["id"])

    async def contact_ids(self, limit: int) -> list[str]:
        params = {"fields": "Email", "per_page": str(min(limit, 200))}
        status, body = await self.call("GET", "/Contacts", params=params)
        if status != 200:
            raise RuntimeError(f"zoho listed no contacts: {status} {body}")
        return [str(record["id"]) for record in body["data"]][:limit]

    async def contact(self, record_id: str) -> dict[str, Any]:
        status, body = await self.call("GET", f"/Contacts/{record_id}")
        if status != 200:
            raise RuntimeError(f"zoho has no contact {record_id}: {status}")
        record: dict[str, Any] = body["data"][0]
        return record

    async def set_marker(self, record_id: str, qbo_id: str) -> None:
        body = {"data": [{"id": record_id, CONTACT_MARKER: qbo_id}]}
        status, answer = await self.call("PUT", "/Contacts", json=body)
        if status != 200:
            raise RuntimeError(f"zoho refused the marker: {status} {answer}")


@dataclass
class QboPerson:
    """QBO's API with a company's own tokens, one call at a time."""

    http: aiohttp.ClientSession
    creds: dict[str, Any]
    calls: int = 0
    throttled: int = 0

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {
            "Authorization": f"Bearer {self.creds['access_token']}",
            "Accept": "application/json",
        }
        url = f"{self.creds['base_url']}/v3/company/{self.creds['realm_id']}/{path}"
        params = {"minorversion": "75", **kwargs.pop("params", {})}
        for _ in range(THROTTLE_RETRIES):
            self.calls += 1
            async with self.http.request(
                method, url, headers=headers, params=params, **kwargs
            ) as answer:
                body = await answer.json(content_type=None)
                if answer.status != 429:
                    return answer.status, body
            self.throttled += 1
            await asyncio.sleep(60)  # Intuit's advice; it sends no Retry-After
        return 429, body

    async def customers_by_email(self, email: str) -> list[dict[str, Any]]:
        quoted = email.replace("'", "\\'")
        text = f"select * from Customer where PrimaryEmailAddr = '{quoted}'"
        status, body = await self.call("GET", "query", params={"query": text})
        if status != 200:
            raise RuntimeError(f"qbo query failed: {status} {body}")
        found: list[dict[str, Any]] = body["QueryResponse"].get("Customer", [])
        return found

    async def create_customer(self, customer: dict[str, Any]) -> str:
        status, body = await self.call("POST", "customer", json=customer)
        if status != 200:
            raise RuntimeError(f"qbo refused the customer: {status} {body}")
        return str(body["Customer"]["Id"])
