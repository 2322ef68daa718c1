"""One QBO company (realm): its records, id sequences and deleted objects."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from services.qbo_sandbox.clock import offset_text, parse_offset

Record = dict[str, Any]

# QBO numbers customers and vendors from one sequence, and all transactions
# from another; clients must never assume ids are unique across entity kinds
# of different sequences, nor distinct within one.
ID_SPACE = {
    "Customer": "name",
    "Vendor": "name",
    "Invoice": "txn",
    "Estimate": "txn",
    "Item": "item",
    "Account": "account",
    "Term": "term",
    "TaxCode": "taxcode",
}


@dataclass(frozen=True)
class Change:
    realm_id: str
    entity: str
    entity_id: str
    operation: str  # Create, Update, Delete, Void
    when: datetime


@dataclass
class CachedResponse:
    status: int
    body: str
    content_type: str


@dataclass
class Company:
    realm_id: str
    name: str
    tz: timezone
    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    deleted: dict[str, dict[str, str]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    requestids: OrderedDict[str, CachedResponse] = field(default_factory=OrderedDict)
    on_change: Callable[[Change], None] | None = None

    def next_number(self, sequence: str, start: int = 1) -> int:
        value = self.counters.get(sequence, start - 1) + 1
        self.counters[sequence] = value
        return value

    def next_id(self, entity: str) -> str:
        return str(self.next_number(ID_SPACE.get(entity, entity)))

    def table(self, entity: str) -> dict[str, Record]:
        return self.records.setdefault(entity, {})

    def get(self, entity: str, entity_id: str) -> Record | None:
        return self.records.get(entity, {}).get(str(entity_id))

    def put(self, entity: str, record: Record) -> None:
        self.table(entity)[record["Id"]] = record

    def remove(self, entity: str, entity_id: str, deleted_at: str) -> None:
        self.table(entity).pop(entity_id, None)
        self.deleted.setdefault(entity, {})[entity_id] = deleted_at

    def notify(
        self, entity: str, entity_id: str, operation: str, when: datetime
    ) -> None:
        if self.on_change is not None:
            local = when.astimezone(self.tz)
            self.on_change(Change(self.realm_id, entity, entity_id, operation, local))

    def remember_response(
        self, request_id: str, cached: CachedResponse, cap: int
    ) -> None:
        self.requestids[request_id] = cached
        while len(self.requestids) > cap:
            self.requestids.popitem(last=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "realm_id": self.realm_id,
            "name": self.name,
            "tz": offset_text(self.tz),
            "records": self.records,
            "deleted": self.deleted,
            "counters": self.counters,
            "requestids": {
                key: [value.status, value.body, value.content_type]
                for key, value in self.requestids.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Company:
        company = cls(
            realm_id=data["realm_id"],
            name=data["name"],
            tz=parse_offset(data["tz"]),
            records=data["records"],
            deleted=data["deleted"],
            counters=data["counters"],
        )
        for key, (status, body, content_type) in data["requestids"].items():
            company.requestids[key] = CachedResponse(status, body, content_type)
        return company
