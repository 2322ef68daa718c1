"""What the matcher keeps per record: mirror entries, links, parked documents,
audit entries. Plain pydantic models; the repositories store them as documents.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from common.entities import System
from common.messages import Version
from common.store.times import to_stored


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def version_key(version: Version | None) -> str:
    """Sorts like ``Version.order_key`` as a string, so the store can compare it."""
    if version is None:
        return ""
    sequence = version.sequence if version.sequence is not None else -1
    return f"{sequence + 1:012d}|{to_stored(version.updated_at)}"


def mirror_id(tenant: str, system: str, entity: str, external_id: str) -> str:
    return f"{tenant}|{system}|{entity}|{external_id}"


class MirrorEntry(Model):
    """The last record seen from one side, with its match keys.

    ``state`` says how far its latest version got: ``seen`` (decided),
    ``refused`` (the matcher would not decide it: a person must act) or
    ``failed`` (the other side refused the write made from it; ``failed_write``
    is that write's idempotency key, so a replay of the failure finds this
    record). Either way the next change, a force sync or a replay decides it
    again (the same version included). ``forced`` marks a requested force
    sync: the next change for it is synced in full even if unchanged.
    """

    tenant: str
    system: System
    entity: str
    external_id: str
    record: dict[str, Any] | None = None
    version: Version | None = None
    vkey: str = ""
    match_key: str | None = None
    alt_key: str | None = None
    account_id: str | None = None
    deleted: bool = False
    forced: bool = False
    state: str = "seen"  # seen | refused | failed
    reason: str | None = None
    failed_write: str | None = None
    last_event: str | None = None
    rev: int = 0

    @property
    def id(self) -> str:
        return mirror_id(self.tenant, self.system, self.entity, self.external_id)

    @property
    def updated_at(self) -> str:
        return to_stored(self.version.updated_at) if self.version else ""


class PendingWrite(Model):
    """A write we asked a side to make and it has not confirmed yet.

    ``prior`` holds the agreed values those fields had before, so a change
    from that side made without knowledge of our write is seen as a conflict.
    """

    key: str
    create: bool = False
    fields: dict[str, Any] = Field(default_factory=dict)
    prior: dict[str, Any] = Field(default_factory=dict)
    at: str = ""


class Outbox(Model):
    """The messages one input produced for this link, returned again verbatim
    when that input is redelivered (the bus publishes before it acks)."""

    event: str
    messages: list[str] = Field(default_factory=list)
    at: str = ""  # when it was stored (or last re-sent by a sweep); stored time


class Link(Model):
    """One CRM record ⇄ one QBO record, and everything about their sync.

    ``kind`` is the CRM entity (contact, product, invoice, quote, vendor).
    ``base`` holds the agreed values of the synced fields after the last
    decision; ``base_hash`` their content hash, for the echo check.
    """

    id: str
    tenant: str
    kind: str
    crm_id: str | None = None
    qbo_id: str | None = None
    # linked | creating | deleted | voided; "failed" only on links stored
    # before session 2 (a failure now lives on the source's mirror entry).
    state: str = "linked"
    reason: str | None = None
    base: dict[str, Any] = Field(default_factory=dict)
    base_hash: str | None = None
    pending: dict[str, PendingWrite] = Field(default_factory=dict)
    markers: dict[str, str | None] = Field(default_factory=dict)
    outbox: Outbox | None = None
    rev: int = 0

    def id_on(self, system: str) -> str | None:
        return self.crm_id if system == "crm" else self.qbo_id

    @property
    def in_flight(self) -> bool:
        """A create or a write of ours not confirmed yet (the sweep's look)."""
        return self.state == "creating" or bool(self.pending)

    @property
    def complete(self) -> bool:
        return self.crm_id is not None and self.qbo_id is not None


class Parked(Model):
    """A document waiting for its contact/products to be linked.

    ``waiting`` holds ``<system>:<entity>:<id>`` of each missing dependency.
    """

    tenant: str
    system: System
    entity: str
    external_id: str
    waiting: list[str]
    since: str
    # The last message that resumed it and wrote its link; the entry is kept
    # until the document's own write is confirmed, so a redelivery of that
    # message finds it again and replays the document's outbox.
    resumed_by: str | None = None
    # The sweep's re-requests of its missing dependencies: when, by which
    # message (its redelivery sends them again), and how often (backoff).
    fetched_at: str | None = None
    fetched_by: str | None = None
    refetches: int = 0

    @property
    def id(self) -> str:
        return mirror_id(self.tenant, self.system, self.entity, self.external_id)


class AuditEntry(Model):
    """One sync action: which record, which way, which fields, before/after, why."""

    id: str
    tenant: str
    at: str
    event_id: str
    kind: str
    action: str
    direction: str | None = None  # "crm→qbo" | "qbo→crm"
    crm_id: str | None = None
    qbo_id: str | None = None
    fields: list[str] = Field(default_factory=list)
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    conflicts: list[dict[str, Any]] = Field(default_factory=list)
    reason: str | None = None
