"""In-memory repository: the fake of ``ports.Repository`` for unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from common.connection_settings import DEFAULT_SETTINGS, ConnectionSettings
from common.connections import settings_from
from services.matcher.model import AuditEntry, Link, MirrorEntry, Parked
from services.matcher.ports import StaleWrite


class InMemoryRepository:
    def __init__(self, connections: dict[str, dict[str, Any]] | None = None) -> None:
        self.connections = dict(connections or {})
        self.mirrors: dict[str, MirrorEntry] = {}
        self.links: dict[str, Link] = {}
        self.parked: dict[str, Parked] = {}
        self.audit: dict[str, AuditEntry] = {}
        self.writes = 0  # store writes, to keep an eye on their number

    async def settings(self, tenant: str) -> ConnectionSettings:
        raw = self.connections.get(tenant)
        if raw is None:
            return DEFAULT_SETTINGS
        return settings_from(tenant, raw)

    async def mirror(
        self, tenant: str, system: str, entity: str, external_id: str
    ) -> MirrorEntry | None:
        return self.mirrors.get(f"{tenant}|{system}|{entity}|{external_id}")

    async def mirrors_by_key(
        self, tenant: str, system: str, entity: str, key: str, *, alt: bool = False
    ) -> list[MirrorEntry]:
        return [
            m
            for m in self.mirrors.values()
            if (m.tenant, m.system, m.entity) == (tenant, system, entity)
            and (m.alt_key if alt else m.match_key) == key
        ]

    async def mirror_by_failed_write(
        self, tenant: str, system: str, key: str
    ) -> MirrorEntry | None:
        for m in self.mirrors.values():
            if (m.tenant, m.system, m.failed_write) == (tenant, system, key):
                return m
        return None

    async def contacts_of_account(
        self, tenant: str, account_id: str
    ) -> list[MirrorEntry]:
        return [
            m
            for m in self.mirrors.values()
            if (m.tenant, m.system, m.entity, m.account_id)
            == (tenant, "crm", "contact", account_id)
        ]

    async def save_mirror(self, entry: MirrorEntry) -> MirrorEntry:
        current = self.mirrors.get(entry.id)
        if (current.rev if current else 0) != entry.rev:
            raise StaleWrite(f"mirror {entry.id} changed concurrently")
        saved = entry.model_copy(update={"rev": entry.rev + 1})
        self.mirrors[entry.id] = saved
        self.writes += 1
        return saved

    async def link_of(
        self, tenant: str, kind: str, system: str, external_id: str
    ) -> Link | None:
        for link in self.links.values():
            if (link.tenant, link.kind) == (tenant, kind) and link.id_on(
                system
            ) == external_id:
                return link
        return None

    async def links_of(
        self, tenant: str, kind: str, system: str, external_ids: list[str]
    ) -> dict[str, Link]:
        wanted = set(external_ids)
        found: dict[str, Link] = {}
        for link in self.links.values():
            own = link.id_on(system)
            if (link.tenant, link.kind) == (tenant, kind) and own in wanted:
                found[own] = link
        return found

    async def link_by_pending_key(
        self, tenant: str, system: str, key: str
    ) -> Link | None:
        for link in self.links.values():
            pending = link.pending.get(system)
            if link.tenant == tenant and pending is not None and pending.key == key:
                return link
        return None

    async def save_link(self, link: Link) -> Link:
        current = self.links.get(link.id)
        if (current.rev if current else 0) != link.rev:
            raise StaleWrite(f"link {link.id} changed concurrently")
        for other in self.links.values():
            if other.id == link.id or (other.tenant, other.kind) != (
                link.tenant,
                link.kind,
            ):
                continue
            for system in ("crm", "qbo"):
                own = link.id_on(system)
                if own is not None and other.id_on(system) == own:
                    raise StaleWrite(f"{system} {link.kind} {own} is linked already")
        saved = link.model_copy(update={"rev": link.rev + 1})
        self.links[link.id] = saved
        self.writes += 1
        return saved

    async def delete_link(self, link: Link) -> None:
        current = self.links.get(link.id)
        if current is None or current.rev != link.rev:
            raise StaleWrite(f"link {link.id} changed concurrently")
        del self.links[link.id]
        self.writes += 1

    async def links_in_flight(self, tenant: str, stored_before: str) -> list[Link]:
        return [
            link
            for link in self.links.values()
            if link.tenant == tenant
            and link.in_flight
            and link.outbox is not None
            and link.outbox.at < stored_before
        ]

    async def park(self, parked: Parked) -> None:
        self.parked[parked.id] = parked
        self.writes += 1

    async def parked_waiting_on(self, tenant: str, keys: list[str]) -> list[Parked]:
        wanted = set(keys)
        return [
            p
            for p in self.parked.values()
            if p.tenant == tenant and wanted.intersection(p.waiting)
        ]

    async def parked_of(self, tenant: str, system: str) -> list[Parked]:
        return [
            p for p in self.parked.values() if (p.tenant, p.system) == (tenant, system)
        ]

    async def update_parked(self, parked_id: str, changes: dict[str, Any]) -> bool:
        current = self.parked.get(parked_id)
        if current is None:
            return False
        self.parked[parked_id] = current.model_copy(update=changes)
        self.writes += 1
        return True

    async def unpark(self, parked: Parked) -> None:
        if self.parked.pop(parked.id, None) is not None:
            self.writes += 1

    async def record_audit(self, entry: AuditEntry) -> None:
        if entry.id not in self.audit:
            self.audit[entry.id] = entry
            self.writes += 1

    async def record_audits(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            await self.record_audit(entry)

    async def audit_of(self, tenant: str) -> list[AuditEntry]:
        entries = [a for a in self.audit.values() if a.tenant == tenant]
        return sorted(entries, key=lambda a: a.at)
