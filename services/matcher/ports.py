"""The matcher's one port: where links, mirror, parked documents, audit and
connection settings live. ``mongo.MongoRepository`` and
``memory.InMemoryRepository`` implement it; one contract suite
(tests/matcher/test_repository_contract.py) holds both to the same behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from common.connection_settings import ConnectionSettings
from common.errors import RetriableError
from common.messages import Lane
from services.matcher.model import AuditEntry, Link, MirrorEntry, Parked


class StaleWrite(RetriableError):
    """Someone else changed the document since we read it: retry from the top."""


class Backlogs(Protocol):
    async def waiting(self, system: str, tenant: str, lane: Lane) -> int:
        """Messages ready in the queue that carries the tenant's writes to
        ``system`` in ``lane``, plus those in the matcher's own queue of
        ``lane``, where the writes' confirmations (``written.*``) arrive
        (a queue not declared counts 0)."""
        ...


class NoBacklogs:
    """No queue in front of the writes (the matcher tested on its own)."""

    async def waiting(self, system: str, tenant: str, lane: Lane) -> int:
        return 0


class Repository(Protocol):
    async def settings(self, tenant: str) -> ConnectionSettings: ...

    async def mirror(
        self, tenant: str, system: str, entity: str, external_id: str
    ) -> MirrorEntry | None: ...

    async def mirrors_by_key(
        self, tenant: str, system: str, entity: str, key: str, *, alt: bool = False
    ) -> list[MirrorEntry]: ...

    async def mirror_by_failed_write(
        self, tenant: str, system: str, key: str
    ) -> MirrorEntry | None:
        """The entry of ``system`` whose write ``key`` the other side refused."""
        ...

    async def contacts_of_account(
        self, tenant: str, account_id: str
    ) -> list[MirrorEntry]: ...

    async def save_mirror(self, entry: MirrorEntry) -> MirrorEntry:
        """Compare-and-set on ``entry.rev`` (0: must not exist); returns rev + 1."""
        ...

    async def link_of(
        self, tenant: str, kind: str, system: str, external_id: str
    ) -> Link | None: ...

    async def links_of(
        self, tenant: str, kind: str, system: str, external_ids: list[str]
    ) -> dict[str, Link]:
        """Links by the given side's id, in one round trip."""
        ...

    async def link_by_pending_key(
        self, tenant: str, system: str, key: str
    ) -> Link | None: ...

    async def save_link(self, link: Link) -> Link:
        """Compare-and-set on ``link.rev`` (0: insert). Raises StaleWrite on a
        concurrent change or when either id is already linked elsewhere."""
        ...

    async def delete_link(self, link: Link) -> None: ...

    async def links_in_flight(self, tenant: str, stored_before: str) -> list[Link]:
        """Links with a write not confirmed yet (state ``creating`` or any
        ``pending`` entry) whose outbox was stored before ``stored_before``
        (a stored time): the sweep re-sends those."""
        ...

    async def park(self, parked: Parked) -> None: ...

    async def parked_waiting_on(self, tenant: str, keys: list[str]) -> list[Parked]: ...

    async def parked_of(self, tenant: str, system: str) -> list[Parked]:
        """Every document of ``system`` parked for ``tenant`` (the sweep)."""
        ...

    async def update_parked(self, parked_id: str, changes: dict[str, Any]) -> bool:
        """Set these fields of a parked entry only if it still exists (never
        brings back an entry someone unparked meanwhile); True if it did."""
        ...

    async def unpark(self, parked: Parked) -> None: ...

    async def record_audit(self, entry: AuditEntry) -> None:
        """Idempotent by ``entry.id``."""
        ...

    async def record_audits(self, entries: Sequence[AuditEntry]) -> None:
        """Each idempotent by its id; several in one round trip."""
        ...

    async def audit_of(self, tenant: str) -> list[AuditEntry]: ...


class Letters(Protocol):
    """The dead letters naming a record: the matcher closes them once it
    decides that record (it synced, or waits for something named)."""

    async def close(
        self, tenant: str, system: str, entity: str, external_id: str
    ) -> None: ...
