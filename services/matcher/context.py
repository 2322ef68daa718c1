"""What one handled message carries through the matcher: the input, the
repository, the tenant's settings, and builders for what it emits."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from common.connection_settings import ConnectionSettings
from common.entities import COUNTERPART, QBO_COUNTERPART
from common.messages import Envelope, WriteCommand
from common.payloads import FetchPayload, FetchSource
from common.store.times import stored_now
from services.matcher.model import AuditEntry, Link, Outbox
from services.matcher.ports import Backlogs, Letters, NoBacklogs, Repository

OTHER = {"crm": "qbo", "qbo": "crm"}
DOCUMENTS = ("invoice", "quote")
DIRECTION = {"crm": "crm→qbo", "qbo": "qbo→crm"}


def kind_of(system: str, entity: str) -> str:
    """The pair kind, named after the CRM entity."""
    return entity if system == "crm" else QBO_COUNTERPART[entity]


def entity_on(kind: str, system: str) -> str:
    return kind if system == "crm" else COUNTERPART[kind]


@dataclass
class Step:
    """The outcome of one decision: the link to save, messages, audit entries.

    ``replayed``: the input was seen before; ``out`` is the link's outbox
    again and ``link`` is only for reference (``commit`` saves nothing).
    ``went_again``: the document was parked by this run and then found its
    dependencies linked after all, so its parked entry may be stale.
    ``looked``: no link to save, and ``seen`` is the record's link as the
    decision read it (None: it had none), so the resume needs no re-read.
    """

    link: Link | None = None
    out: list[Envelope] = field(default_factory=list)
    audits: list[AuditEntry] = field(default_factory=list)
    parked: bool = False
    replayed: bool = False
    went_again: bool = False
    looked: bool = False
    seen: Link | None = None


@dataclass
class Context:
    """``known_settings``: the tenant's settings if already read; else
    ``read_settings`` reads them once a handler needs them (``load_settings``),
    so a change dropped as stale reads none."""

    env: Envelope
    repo: Repository
    known_settings: ConnectionSettings | None
    letters: Letters
    now: str = field(default_factory=stored_now)
    read_settings: Callable[[], Awaitable[ConnectionSettings]] | None = None
    backlogs: Backlogs = field(default_factory=NoBacklogs)

    @property
    def tenant(self) -> str:
        return self.env.tenant

    async def load_settings(self) -> None:
        if self.known_settings is None:
            assert self.read_settings is not None, "no settings and no way to read"
            self.known_settings = await self.read_settings()

    @property
    def settings(self) -> ConnectionSettings:
        assert self.known_settings is not None, "load_settings() first"
        return self.known_settings

    @property
    def event(self) -> str:
        return str(self.env.event_id)

    def idempotency_key(self, link_id: str, target: str) -> str:
        return str(uuid.uuid5(self.env.event_id, f"write|{link_id}|{target}"))

    def write(
        self,
        target: str,
        entity: str,
        external_id: str | None,
        command: WriteCommand,
        *,
        key: str,
    ) -> Envelope:
        return self.env.caused(
            key=f"write|{target}|{key}",
            kind="write",
            system=target,
            entity=entity,
            external_id=external_id,
            version=None,
            deleted=False,
            payload=command.model_dump(mode="json"),
        )

    def fetch(
        self,
        system: str,
        entity: str,
        external_id: str,
        *,
        source: FetchSource | None = None,
    ) -> Envelope:
        """Ask ``system``'s gateway to read the record again. Its id derives
        from the input and the record only, whatever the source."""
        task = FetchPayload() if source is None else FetchPayload(source=source)
        return self.env.caused(
            key=f"fetch|{system}|{entity}|{external_id}",
            kind="fetch",
            system=system,
            entity=entity,
            external_id=external_id,
            version=None,
            deleted=False,
            payload=task.wire(),
        )

    def markers_write(
        self, kind: str, crm_id: str, markers: dict[str, str | None], *, link_id: str
    ) -> Envelope:
        """A write that touches only CRM status fields (empty record)."""
        key = str(uuid.uuid5(self.env.event_id, f"markers|{link_id}"))
        command = WriteCommand(record={}, idempotency_key=key, markers=markers)
        return self.write("crm", kind, crm_id, command, key=f"markers|{link_id}")

    def audit(self, kind: str, action: str, *, key: str, **details: Any) -> AuditEntry:
        return AuditEntry(
            id=str(uuid.uuid5(self.env.event_id, f"audit|{action}|{key}")),
            tenant=self.tenant,
            at=self.now,
            event_id=self.event,
            kind=kind,
            action=action,
            **details,
        )

    def outbox(self, messages: list[Envelope]) -> Outbox:
        return Outbox(
            event=self.event,
            messages=[m.model_dump_json() for m in messages],
            at=self.now,
        )


def replay(outbox: Outbox) -> list[Envelope]:
    return [Envelope.model_validate(json.loads(m)) for m in outbox.messages]


def redelivery(ctx: Context, link: Link | None) -> list[Envelope] | None:
    """The messages ``link``'s outbox holds when ``ctx``'s input is the one
    that stored them (a redelivery: the bus publishes before it acks, so a
    crash in between sends the input again), else None. A redelivered input
    is not decided again: the same messages go out, verbatim (the handler
    may still finish what came after, such as resuming parked documents)."""
    if link is None or link.outbox is None or link.outbox.event != ctx.event:
        return None
    return replay(link.outbox)


async def commit(ctx: Context, step: Step) -> list[Envelope]:
    """Save the step's link (its messages kept as the outbox), then its audit."""
    if step.replayed:
        return step.out
    if step.link is not None:
        await ctx.repo.save_link(
            step.link.model_copy(update={"outbox": ctx.outbox(step.out)})
        )
    await ctx.repo.record_audits(step.audits)
    return step.out
