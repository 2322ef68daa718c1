"""A harness around the matcher: builds change events, plays the gateways'
part (written.*), and keeps every message the matcher emitted."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from common.messages import Envelope, Version, WriteCommand, WriteOutcome
from services.matcher.handlers import Matcher
from services.matcher.ports import Repository

TENANT = "acme"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


class Harness:
    def __init__(self, matcher: Matcher, repo: Repository) -> None:
        self.matcher = matcher
        self.repo = repo
        self.sent: list[Envelope] = []
        self._clock = itertools.count(1)
        self._ids = itertools.count(100)

    def at(self) -> datetime:
        return T0 + timedelta(seconds=next(self._clock))

    def change(
        self,
        system: str,
        entity: str,
        external_id: str,
        record: dict[str, Any] | None = None,
        *,
        seq: int | None = None,
        at: datetime | None = None,
        deleted: bool = False,
    ) -> Envelope:
        return Envelope(
            kind="change",
            tenant=TENANT,
            system=system,
            entity=entity,
            external_id=external_id,
            version=Version(updated_at=at or self.at(), sequence=seq),
            deleted=deleted,
            payload={} if record is None else {"record": record},
        )

    def command(self, system: str, entity: str, external_id: str) -> Envelope:
        return Envelope(
            kind="command",
            tenant=TENANT,
            system=system,
            entity=entity,
            external_id=external_id,
            payload={"action": "force_sync"},
        )

    def sweep(self, system: str, **options: float) -> Envelope:
        """The scheduler's sweep of one side (thresholds in seconds)."""
        return Envelope(
            kind="command",
            tenant=TENANT,
            system=system,
            entity="*",
            payload={"action": "sweep", **options},
        )

    def written(
        self,
        write: Envelope,
        external_id: str | None = None,
        *,
        ok: bool = True,
        reason: str | None = None,
        seq: int | None = None,
    ) -> Envelope:
        command = WriteCommand.model_validate(write.payload)
        target_id = write.external_id or external_id or f"new{next(self._ids)}"
        outcome = WriteOutcome(
            ok=ok,
            idempotency_key=command.idempotency_key,
            created=write.external_id is None,
            reason=reason,
            error_class=None if ok else "permanent",
        )
        return write.caused(
            key="written",
            kind="written",
            external_id=target_id,
            version=Version(updated_at=self.at(), sequence=seq),
            payload=outcome.model_dump(mode="json"),
        )

    async def send(self, envelope: Envelope) -> list[Envelope]:
        out = list(await self.matcher.handle(envelope))
        self.sent += out
        return out

    async def linked(self, kind: str, system: str, external_id: str) -> str | None:
        link = await self.repo.link_of(TENANT, kind, system, external_id)
        other = "qbo" if system == "crm" else "crm"
        return link.id_on(other) if link else None


def writes(out: list[Envelope], routing_key: str | None = None) -> list[Envelope]:
    return [
        e
        for e in out
        if e.kind == "write" and (routing_key is None or e.routing_key == routing_key)
    ]


def data_writes(out: list[Envelope]) -> list[Envelope]:
    """Writes that change synced data (not the CRM marker-only ones)."""
    return [e for e in writes(out) if e.payload["record"]]


def command_of(envelope: Envelope) -> WriteCommand:
    return WriteCommand.model_validate(envelope.payload)


def contact(email: str | None = "ann@example.com", **fields: Any) -> dict[str, Any]:
    return {"first_name": "Ann", "last_name": "Lee", "email": email, **fields}


def customer(email: str | None = "ann@example.com", **fields: Any) -> dict[str, Any]:
    return {
        "first_name": "Ann",
        "last_name": "Lee",
        "display_name": "Ann Lee",
        "email": email,
        **fields,
    }
