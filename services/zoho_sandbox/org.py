"""One CRM org's state: its user, OAuth client, limits, records and channels.

Everything here is plain JSON-able data, so a snapshot is `json.dumps`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Record = dict[str, Any]


@dataclass
class Org:
    name: str
    location: str
    time_zone: str
    edition: str
    users: int
    api_domain: str
    accounts_server: str
    # True when the reset named the domain: tokens then only work on that host,
    # as a token from one data centre is rejected by another.
    enforce_domain: bool
    client_id: str
    client_secret: str
    redirect_uri: str
    user: dict[str, str]
    id_prefix: str
    concurrency: int
    credit_limit: int | None
    next_serial: int = 1
    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    deleted: dict[str, list[Record]] = field(default_factory=dict)
    auto_numbers: dict[str, int] = field(default_factory=dict)
    channels: dict[str, Record] = field(default_factory=dict)

    def new_id(self) -> str:
        """19-digit numeric string ids, increasing, like `5725767000000411001`."""
        self.next_serial += 1
        return f"{self.id_prefix}{self.next_serial:012d}"

    def module_records(self, module: str) -> dict[str, Record]:
        return self.records.setdefault(module, {})

    def next_number(self, module: str) -> int:
        value = self.auto_numbers.get(module, 0) + 1
        self.auto_numbers[module] = value
        return value

    def owner_ref(self) -> dict[str, str]:
        return {"name": self.user["name"], "id": self.user["id"]}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Org:
        return cls(**data)
