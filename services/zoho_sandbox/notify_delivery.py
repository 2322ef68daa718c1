"""Sending notification callbacks: changes are gathered per channel, module
and operation for a short window, POSTed to `notify_url`, and retried with
growing pauses while the receiver fails. Zoho documents no retry policy; this
one is the sandbox's choice (README)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp

from .org import Org, Record
from .render import render_value
from .schema import MODULES
from .state import SandboxState

OPERATION_OF_EVENT = {"create": "insert", "edit": "update", "delete": "delete"}
BatchKey = tuple[str, str, str, str]  # org, channel id, module, operation


def subscribed(channel: Record, module: str, operation: str) -> bool:
    for event in channel["events"]:
        name, _, action = event.partition(".")
        if name == module and (
            action == "all" or OPERATION_OF_EVENT.get(action) == operation
        ):
            return True
    return False


class Dispatcher:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.open: dict[BatchKey, dict[str, Any]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.in_flight = 0
        self.log: list[dict[str, Any]] = []
        self.session: aiohttp.ClientSession | None = None

    def pending_count(self) -> int:
        return len(self.open) + self.in_flight

    def _active(self, org: Org, channel_id: str) -> Record | None:
        if self.state.orgs.get(org.name) is not org:
            return None
        channel = org.channels.get(channel_id)
        if channel is None or channel["expires"] <= self.state.clock.timestamp():
            return None
        return channel

    def publish(
        self, org: Org, module: str, changes: list[tuple[str, str, Record]]
    ) -> None:
        for channel_id in list(org.channels):
            channel = self._active(org, channel_id)
            if channel is None:
                continue
            for operation, record_id, values in changes:
                if subscribed(channel, module, operation):
                    self._add(org, channel_id, module, operation, record_id, values)

    def _add(
        self,
        org: Org,
        channel_id: str,
        module: str,
        operation: str,
        record_id: str,
        values: Record,
    ) -> None:
        key = (org.name, channel_id, module, operation)
        batch = self.open.get(key)
        if batch is None:
            batch = {"org": org, "ids": [], "changed": {}}
            self.open[key] = batch
            self._spawn(self._flush_later(key))
        if record_id not in batch["ids"]:
            batch["ids"].append(record_id)
        rendered = self._render(org, module, record_id, values)
        batch["changed"].setdefault(record_id, {}).update(rendered)

    def _render(self, org: Org, module: str, record_id: str, values: Record) -> Record:
        record = org.module_records(module).get(record_id)
        if record is None:
            return {}
        schema = MODULES[module]
        return {
            name: render_value(org, field, record)
            for name in values
            if (field := schema.field(name)) is not None
        }

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _flush_later(self, key: BatchKey) -> None:
        await asyncio.sleep(self.state.config.notify_batch_seconds)
        batch = self.open.pop(key, None)
        if batch is None:
            return
        org: Org = batch["org"]
        channel = self._active(org, key[1])
        if channel is None:
            return
        body = self._body(org, channel, key[2], key[3], batch)
        self.in_flight += 1
        try:
            await self._deliver(org, key[1], body)
        finally:
            self.in_flight -= 1

    def _body(
        self, org: Org, channel: Record, module: str, operation: str, batch: Record
    ) -> Record:
        ids: list[str] = batch["ids"]
        changed: dict[str, Record] = batch["changed"]
        body: Record = {"server_time": int(self.state.clock.timestamp() * 1000)}
        if channel.get("return_affected_field_values") and operation == "update":
            body["affected_values"] = [
                {"record_id": rid, "values": changed.get(rid, {})} for rid in ids
            ]
        body["query_params"] = dict(parse_qsl(urlsplit(channel["notify_url"]).query))
        body["module"] = module
        # Zoho's documented callbacks name the v2 resource even on newer versions.
        body["resource_uri"] = f"{org.api_domain}/crm/v2/{module}"
        body["ids"] = ids
        body["affected_fields"] = (
            [{rid: sorted(changed.get(rid, {}))} for rid in ids]
            if operation == "update"
            else []
        )
        body["operation"] = operation
        body["channel_id"] = channel["channel_id"]
        if channel.get("token") is not None:
            body["token"] = channel["token"]
        return body

    async def _deliver(self, org: Org, channel_id: str, body: Record) -> None:
        delays = (0.0, *self.state.config.notify_retry_delays)
        for attempt, delay in enumerate(delays, start=1):
            await asyncio.sleep(delay)
            channel = self._active(org, channel_id)
            if channel is None:
                return
            status = await self._post(channel["notify_url"], body)
            self.log.append(
                {
                    "org": org.name,
                    "channel_id": channel_id,
                    "notify_url": channel["notify_url"],
                    "attempt": attempt,
                    "status": status,
                    "body": body,
                }
            )
            if status is not None and 200 <= status < 300:
                return

    async def _post(self, url: str, body: Record) -> int | None:
        if self.session is None:
            timeout = aiohttp.ClientTimeout(
                total=self.state.config.notify_timeout_seconds
            )
            self.session = aiohttp.ClientSession(timeout=timeout)
        try:
            async with self.session.post(url, json=body) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return None

    def forget_org(self, org: str) -> None:
        for key in [k for k in self.open if k[0] == org]:
            del self.open[key]

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.session is not None:
            await self.session.close()
