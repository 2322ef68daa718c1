"""Runs an action list against the running system, as people, an operator
and bad luck would, and keeps the history the invariants judge by: which
slot became which record, and which fields a person set or cleared."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.convergence import clients
from tests.convergence.actions import (
    BACKFILL,
    CLEAR,
    CREATE,
    DELETE,
    DUPLICATE_WEBHOOKS,
    EDIT,
    KILL,
    PAUSE,
    REPLAY_TWICE,
    STALE_WEBHOOKS,
    Action,
    references,
)
from tests.convergence.world import kill_and_restart, syncctl
from tests.e2e.system import TENANT, System

PACE_SECONDS = 0.2  # between actions: people are quick, not instantaneous
SYNCED_NAME = {"party": "party_id"}  # action value name -> sync field name


@dataclass
class History:
    """What happened, in the generator's terms."""

    ids: dict[str, str] = field(default_factory=dict)  # slot -> external id
    slot_of: dict[tuple[str, str, str], str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)  # slots a person deleted
    set_fields: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    cleared: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    backfilled: set[str] = field(default_factory=set)  # "crm" / "qbo"
    outcomes: list[str] = field(default_factory=list)

    def remember(self, action: Action, record_id: str) -> None:
        self.ids[action.slot] = record_id
        self.slot_of[action.side, action.entity, record_id] = action.slot


class Executor:
    def __init__(self, system: System) -> None:
        self.system = system
        self.history = History()
        self.background: list[asyncio.Task[str]] = []

    async def run(self, actions: list[Action]) -> History:
        for action in actions:
            outcome = await self.perform(action)
            self.history.outcomes.append(f"{action}  -> {outcome}")
            await asyncio.sleep(PACE_SECONDS)
        for task in self.background:
            self.history.outcomes.append(f"(background) {await task}")
        return self.history

    async def perform(self, action: Action) -> str:
        missing = [s for s in references(action) if s not in self.history.ids]
        gone = [s for s in references(action) if s in self.history.deleted]
        if missing or gone:
            return f"skipped (no record for {', '.join(missing + gone)})"
        try:
            if action.op in (CREATE, EDIT, CLEAR, DELETE):
                await self.person(action)
            else:
                return await self.operator(action)
        except clients.Refused as refused:
            return f"refused: {str(refused)[:160]}"
        return "ok"

    async def person(self, action: Action) -> None:
        zoho, qbo, ids = self.system.zoho, self.system.qbo, self.history.ids
        side, entity = action.side, action.entity
        if action.op == CREATE:
            if side == "zoho":
                new_id = await clients.zoho_create(zoho, entity, action.values, ids)
            else:
                new_id = await clients.qbo_create(qbo, entity, action.values, ids)
            self.history.remember(action, new_id)
        elif action.op in (EDIT, CLEAR):
            record_id = ids[action.slot]
            if side == "zoho":
                await clients.zoho_update(zoho, entity, record_id, action.values, ids)
            else:
                changes = clients.qbo_body(entity, action.values, ids)
                await clients.qbo_sparse_update(qbo, entity, record_id, changes)
        else:
            await self.delete(action)
            self.history.deleted.add(action.slot)
            return
        for name, value in action.values.items():
            target = self.history.cleared if value is None else self.history.set_fields
            target[action.slot].add(SYNCED_NAME.get(name, name))

    async def delete(self, action: Action) -> None:
        record_id = self.history.ids[action.slot]
        if action.side == "zoho":
            await clients.zoho_delete(self.system.zoho, action.entity, record_id)
        elif action.entity == "invoice":
            await clients.qbo_sparse_update(
                self.system.qbo, "invoice", record_id, {}, operation="void"
            )
        elif action.entity == "estimate":
            await clients.qbo_sparse_update(
                self.system.qbo, "estimate", record_id, {}, operation="delete"
            )
        else:  # name lists are made inactive, never deleted
            await clients.qbo_sparse_update(
                self.system.qbo, action.entity, record_id, {"Active": False}
            )

    async def operator(self, action: Action) -> str:
        if action.op == BACKFILL:
            self.history.backfilled.add(action.side)
            argv: tuple[str, ...] = (
                "backfill",
                "start",
                "--tenant",
                TENANT,
                "--system",
                action.side,
            )
            self.background.append(asyncio.create_task(self.command(argv)))
            return "started (edits go on while it runs)"
        if action.op == REPLAY_TWICE:
            argv = ("dead-letters", "replay", "--all", "--tenant", TENANT)
            both = await asyncio.gather(self.command(argv), self.command(argv))
            return " | ".join(both)
        if action.op == KILL:
            task = asyncio.create_task(self.restart(action.entity))
            self.background.append(task)
            return "killed; restarting while the actions go on"
        if action.op == DUPLICATE_WEBHOOKS:
            return await self.duplicate_webhooks(action.side)
        if action.op == STALE_WEBHOOKS:
            return await self.stale_webhooks(action.side)
        if action.op == PAUSE:
            await asyncio.sleep(float(action.values.get("seconds", 1)))
            return "ok"
        raise AssertionError(f"unknown action {action.op}")

    async def command(self, argv: tuple[str, ...]) -> str:
        code, output = await syncctl(self.system, *argv)
        return f"syncctl {' '.join(argv[:2])}: exit {code}: {output.strip()[-200:]}"

    async def restart(self, service: str) -> str:
        await kill_and_restart(self.system, service)
        return f"{service} restarted"

    # -- webhooks: the same delivery again, at once or late -----------------

    async def deliveries(self, side: str) -> list[dict[str, Any]]:
        if side == "qbo":
            found = await self.system.qbo.admin("GET", "webhooks/deliveries")
            return [d for d in found["deliveries"] if d.get("delivered")]
        found = await self.system.zoho.admin("GET", "notifications/deliveries")
        return [d for d in found["deliveries"] if d.get("status") == 200]

    async def post_again(self, side: str, delivery: dict[str, Any]) -> int:
        http = self.system.zoho.http
        if side == "qbo":
            headers = dict(delivery["headers"])
            data = delivery["body"].encode()
            async with http.post(delivery["url"], data=data, headers=headers) as answer:
                return answer.status
        body = json.dumps(delivery["body"])
        url = delivery["notify_url"]
        kind = {"Content-Type": "application/json"}
        async with http.post(url, data=body, headers=kind) as answer:
            return answer.status

    async def duplicate_webhooks(self, side: str) -> str:
        """The latest delivery three more times, concurrently."""
        found = await self.deliveries(side)
        if not found:
            return "no delivery yet to duplicate"
        statuses = await asyncio.gather(
            *(self.post_again(side, found[-1]) for _ in range(3)),
            return_exceptions=True,
        )
        return f"re-POSTed the last of {len(found)} deliveries: {statuses}"

    async def stale_webhooks(self, side: str) -> str:
        """Early deliveries again, newest first: late and out of order."""
        found = (await self.deliveries(side))[:4]
        statuses = []
        for delivery in reversed(found):
            try:
                statuses.append(await self.post_again(side, delivery))
            except aiohttp.ClientError as error:
                statuses.append(str(error))  # type: ignore[arg-type]
        return f"re-POSTed {len(found)} old deliveries in reverse: {statuses}"
