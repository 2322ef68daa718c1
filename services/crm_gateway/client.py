"""Typed Zoho CRM v8 calls over ``ApiCaller`` (limits, token refresh, backoff).

Every call goes to the connection's own ``api_domain`` (Zoho data centres).
Lists need ``fields`` (≤ 50); ``ids=`` reads up to 100 records a call; line
items only come with a single-record GET. Writes take up to 100 records and
answer one item per record, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from common.gateway.calls import ApiCaller, ApiResponse
from common.gateway.tokens import TokenManager

API = "/crm/v8"
MAX_IDS = 100
MAX_WRITE = 100
PER_PAGE = 200
MAX_IN_VALUES = 100  # values of one `in` condition
HEAVY_WRITE = 10  # Zoho's sub-concurrency applies to writes of more records
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5, sock_read=25)


def zoho_time(moment: datetime) -> str:
    """ISO 8601 with an offset, to the second, as Zoho reads it."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    more: bool
    next_page_token: str | None = None


def _escape(value: str) -> str:
    """A criteria value: Zoho reads ``(``, ``)`` and ``,`` as syntax unless
    backslash-escaped; quotes and apostrophes need nothing."""
    for char in ("\\", "(", ")", ","):
        value = value.replace(char, "\\" + char)
    return value


def criteria_in(field: str, values: Sequence[str]) -> str:
    if len(values) == 1:
        return f"({field}:equals:{_escape(values[0])})"
    return f"({field}:in:{','.join(_escape(v) for v in values)})"


class ZohoClient:
    def __init__(
        self,
        caller: ApiCaller,
        tokens: TokenManager,
        session: aiohttp.ClientSession,
    ) -> None:
        self.caller = caller
        self.tokens = tokens
        self.session = session

    async def request(
        self,
        tenant: str,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        heavy: bool = False,
    ) -> ApiResponse:
        side = await self.tokens.credentials(tenant)
        url = side.api_base.rstrip("/") + API + path

        async def send(token: str) -> ApiResponse:
            all_headers = {
                "Authorization": f"Zoho-oauthtoken {token}",
                **(headers or {}),
            }
            async with self.session.request(
                method, url, params=params, json=body, headers=all_headers
            ) as response:
                return ApiResponse(
                    response.status, response.headers, await response.read()
                )

        return await self.caller.call(tenant, send, what=what, heavy=heavy)

    # -- reads -----------------------------------------------------------------
    async def get_many(
        self, tenant: str, module: str, ids: Sequence[str], fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), MAX_IDS):
            chunk = list(ids[start : start + MAX_IDS])
            response = await self.request(
                tenant,
                "GET",
                f"/{module}",
                what=f"read {module} by ids",
                params={"ids": ",".join(chunk), "fields": ",".join(fields)},
            )
            found.extend(_data(response))
        return found

    async def get(
        self, tenant: str, module: str, record_id: str
    ) -> dict[str, Any] | None:
        response = await self.request(
            tenant, "GET", f"/{module}/{record_id}", what=f"read {module} {record_id}"
        )
        data = _data(response)
        return data[0] if data else None

    async def list_page(
        self,
        tenant: str,
        module: str,
        *,
        fields: Sequence[str],
        since: datetime | None = None,
        sort_by: str = "id",
        sort_order: str = "asc",
        page: int = 1,
        page_token: str | None = None,
        per_page: int = PER_PAGE,
    ) -> Page:
        """One page; ``page_token`` (from the previous page) reaches past 2000."""
        params = {
            "fields": ",".join(fields),
            "sort_by": sort_by,
            "sort_order": sort_order,
            "per_page": str(per_page),
        }
        if page_token:
            params["page_token"] = page_token
        else:
            params["page"] = str(page)
        headers = {"If-Modified-Since": zoho_time(since)} if since else None
        response = await self.request(
            tenant,
            "GET",
            f"/{module}",
            what=f"list {module}",
            params=params,
            headers=headers,
        )
        return _page(response)

    async def deleted(
        self, tenant: str, module: str, since: datetime | None, page: int = 1
    ) -> Page:
        headers = {"If-Modified-Since": zoho_time(since)} if since else None
        response = await self.request(
            tenant,
            "GET",
            f"/{module}/deleted",
            what=f"list deleted {module}",
            params={"type": "all", "page": str(page), "per_page": str(PER_PAGE)},
            headers=headers,
        )
        return _page(response)

    async def count(self, tenant: str, module: str) -> int:
        response = await self.request(
            tenant, "GET", f"/{module}/actions/count", what=f"count {module}"
        )
        body = response.json() or {}
        return int(body.get("count") or 0)

    async def search(
        self,
        tenant: str,
        module: str,
        *,
        criteria: str | None = None,
        email: str | None = None,
        fields: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Every match (Zoho stops at 2000); search may lag a fresh write."""
        params: dict[str, str] = {"per_page": str(PER_PAGE)}
        if criteria is not None:
            params["criteria"] = criteria
        if email is not None:
            params["email"] = email
        if fields:
            params["fields"] = ",".join(fields)
        found: list[dict[str, Any]] = []
        for page in range(1, 11):
            params["page"] = str(page)
            response = await self.request(
                tenant,
                "GET",
                f"/{module}/search",
                what=f"search {module}",
                params=params,
                heavy=True,
            )
            result = _page(response)
            found.extend(result.records)
            if not result.more:
                break
        return found

    async def coql(self, tenant: str, query: str) -> list[dict[str, Any]]:
        response = await self.request(
            tenant,
            "POST",
            "/coql",
            what="coql",
            body={"select_query": query},
            heavy=True,
        )
        return _data(response)

    # -- writes ----------------------------------------------------------------
    async def insert(
        self, tenant: str, module: str, records: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        return await self._write(tenant, "POST", f"/{module}", module, records)

    async def update(
        self, tenant: str, module: str, records: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        return await self._write(tenant, "PUT", f"/{module}", module, records)

    async def upsert(
        self,
        tenant: str,
        module: str,
        records: Sequence[dict[str, Any]],
        duplicate_check_fields: Sequence[str],
    ) -> list[dict[str, Any]]:
        return await self._write(
            tenant,
            "POST",
            f"/{module}/upsert",
            module,
            records,
            extra={"duplicate_check_fields": list(duplicate_check_fields)},
        )

    async def _write(
        self,
        tenant: str,
        method: str,
        path: str,
        module: str,
        records: Sequence[dict[str, Any]],
        extra: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        if len(records) > MAX_WRITE:
            raise ValueError(f"Zoho takes at most {MAX_WRITE} records a call")
        # trigger [] keeps the org's workflows from reacting to the sync's echoes.
        body = {"data": list(records), "trigger": [], **(extra or {})}
        response = await self.request(
            tenant,
            method,
            path,
            what=f"write {len(records)} {module}",
            body=body,
            heavy=len(records) > HEAVY_WRITE,
        )
        items = _data(response)
        if len(items) != len(records):
            raise ValueError(
                f"write {module}: {len(items)} results for {len(records)} records"
            )
        return items

    # -- notifications ---------------------------------------------------------
    async def watch(
        self,
        tenant: str,
        *,
        channel_id: str,
        events: Sequence[str],
        notify_url: str,
        token: str,
        expires_at: datetime,
        renew: bool = False,
    ) -> dict[str, Any]:
        entry = {
            "channel_id": channel_id,
            "events": list(events),
            "notify_url": notify_url,
            "token": token,
            "channel_expiry": zoho_time(expires_at),
        }
        response = await self.request(
            tenant,
            "PUT" if renew else "POST",
            "/actions/watch",
            what="subscribe notifications",
            body={"watch": [entry]},
        )
        items = (response.json() or {}).get("watch") or [{}]
        return dict(items[0])

    async def unwatch(self, tenant: str, channel_id: str) -> None:
        await self.request(
            tenant,
            "DELETE",
            "/actions/watch",
            what="unsubscribe notifications",
            params={"channel_ids": channel_id},
        )


def _data(response: ApiResponse) -> list[dict[str, Any]]:
    if response.status in (204, 304) or not response.body:
        return []
    body = response.json()
    data = body.get("data") if isinstance(body, dict) else None
    return [item for item in data or [] if isinstance(item, dict)]


def _page(response: ApiResponse) -> Page:
    records = _data(response)
    body = response.json() if records else None
    info = (body or {}).get("info") or {}
    return Page(
        records=records,
        more=bool(info.get("more_records")),
        next_page_token=info.get("next_page_token"),
    )
