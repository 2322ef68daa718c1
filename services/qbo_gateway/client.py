"""Typed calls to the QBO Accounting API v3, through the shared ApiCaller.

Every call names its realm's base URL from the connection, so the same code
talks to Intuit in production and to the sandbox in tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiohttp

from common.gateway.calls import ApiCaller, ApiPermanentError, ApiResponse
from common.gateway.tokens import TokenManager

MINOR_VERSION = "75"
MAX_RESULTS = 1000
BATCH_LIMIT = 30
TIMEOUT = aiohttp.ClientTimeout(total=60, connect=10, sock_read=50)
ENTITY_PATHS = {
    "Customer": "customer",
    "Item": "item",
    "Invoice": "invoice",
    "Estimate": "estimate",
    "Vendor": "vendor",
}


def quote(value: str) -> str:
    """A string literal for the query language (backslash escapes a quote)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def qbo_time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class QboClient:
    def __init__(
        self, session: aiohttp.ClientSession, caller: ApiCaller, tokens: TokenManager
    ) -> None:
        self.session = session
        self.caller = caller
        self.tokens = tokens

    async def _company_url(self, tenant: str) -> str:
        side = await self.tokens.credentials(tenant)
        return f"{side.api_base.rstrip('/')}/v3/company/{side.realm_id}"

    async def _send(
        self,
        tenant: str,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, str] | None = None,
        body: Any = None,
        text: str | None = None,
        batch: bool = False,
    ) -> ApiResponse:
        url = f"{await self._company_url(tenant)}/{path}"
        query = {"minorversion": MINOR_VERSION, **(params or {})}
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if text is not None:
            headers["Content-Type"] = "application/text"
            data = text.encode()
        elif body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, default=str).encode()

        async def send(token: str) -> ApiResponse:
            async with self.session.request(
                method,
                url,
                params=query,
                data=data,
                headers={**headers, "Authorization": f"Bearer {token}"},
                timeout=TIMEOUT,
            ) as response:
                return ApiResponse(
                    response.status, dict(response.headers), await response.read()
                )

        return await self.caller.call(tenant, send, what=what, batch=batch)

    async def query(self, tenant: str, statement: str) -> dict[str, Any]:
        response = await self._send(
            tenant, "POST", "query", text=statement, what=f"query {statement[:80]}"
        )
        result: dict[str, Any] = response.json().get("QueryResponse", {})
        return result

    async def query_rows(
        self, tenant: str, entity: str, statement: str
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await self.query(tenant, statement)).get(
            entity, []
        )
        return rows

    async def count(self, tenant: str, entity: str, where: str = "") -> int:
        statement = f"SELECT COUNT(*) FROM {entity}{' WHERE ' + where if where else ''}"
        return int((await self.query(tenant, statement)).get("totalCount", 0))

    async def read(self, tenant: str, entity: str, entity_id: str) -> dict[str, Any]:
        path = f"{ENTITY_PATHS[entity]}/{entity_id}"
        response = await self._send(
            tenant, "GET", path, what=f"read {entity} {entity_id}"
        )
        record: dict[str, Any] = response.json()[entity]
        return record

    async def write(
        self,
        tenant: str,
        entity: str,
        body: dict[str, Any],
        *,
        request_id: str | None = None,
        operation: str | None = None,
    ) -> dict[str, Any]:
        params: dict[str, str] = {}
        if request_id:
            params["requestid"] = request_id
        if operation:
            params["operation"] = operation
        response = await self._send(
            tenant,
            "POST",
            ENTITY_PATHS[entity],
            params=params,
            body=body,
            what=f"{operation or 'write'} {entity} {body.get('Id', '(new)')}",
        )
        record: dict[str, Any] = response.json()[entity]
        return record

    async def batch(
        self,
        tenant: str,
        items: Sequence[dict[str, Any]],
        *,
        request_id: str | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Send up to 30 operations; returns each item's answer by bId.

        Items are independent: one failing does not fail the others, and
        each answer holds either the entity, a QueryResponse or a Fault.
        """
        if len(items) > BATCH_LIMIT:
            raise ValueError(f"a QBO batch holds at most {BATCH_LIMIT} operations")
        params = {"requestid": request_id} if request_id else None
        response = await self._send(
            tenant,
            "POST",
            "batch",
            params=params,
            body={"BatchItemRequest": list(items)},
            what=f"batch of {len(items)}",
            batch=True,
        )
        answers = response.json().get("BatchItemResponse", [])
        return {str(answer.get("bId")): answer for answer in answers}

    async def send(
        self,
        tenant: str,
        items: Sequence[dict[str, Any]],
        *,
        request_id: str,
        single: bool,
    ) -> dict[str, dict[str, Any]]:
        """Write operations as a batch call, or one of them as a single call
        (from the 500-a-minute budget, not the 40 batch calls: a person's
        lone change does not wait for a backfill's batches); the answers by
        bId either way, a refusal as the Fault a batch item would carry."""
        if not single:
            return await self.batch(tenant, items, request_id=request_id)
        (item,) = items
        entity = next(key for key in item if key[0].isupper())
        options = item.get("optionsData")
        try:
            row = await self.write(
                tenant,
                entity,
                item[entity],
                request_id=request_id,
                operation="void" if options == "void" else None,
            )
        except ApiPermanentError as exc:
            fault = {"Error": [{"code": exc.code, "Message": exc.reason}]}
            return {str(item["bId"]): {"Fault": fault}}
        return {str(item["bId"]): {entity: row}}

    async def cdc(
        self, tenant: str, entities: Sequence[str], since: datetime
    ) -> dict[str, list[dict[str, Any]]]:
        response = await self._send(
            tenant,
            "GET",
            "cdc",
            params={"entities": ",".join(entities), "changedSince": qbo_time(since)},
            what=f"cdc since {qbo_time(since)}",
        )
        changed: dict[str, list[dict[str, Any]]] = {name: [] for name in entities}
        for block in response.json().get("CDCResponse", []):
            for query_response in block.get("QueryResponse", []):
                for name in entities:
                    changed[name].extend(query_response.get(name, []))
        return changed
