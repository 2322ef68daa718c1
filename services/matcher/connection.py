"""Per-connection (tenant) settings, read from ``connections.{_id: tenant}.settings``.

Every field has a default, so a tenant without settings syncs as the product
it replaces did.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Winner = Literal["latest", "crm_wins", "qbo_wins"]


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ConflictPolicy(Settings):
    default: Winner = "latest"
    fields: dict[str, Winner] = Field(default_factory=dict)

    def winner_for(self, field: str) -> Winner:
        return self.fields.get(field, self.default)


class FieldPair(Settings):
    """An extra synced field: its path on each side, e.g. ``custom.Industry``."""

    crm: str
    qbo: str


class FieldMapping(Settings):
    extra: tuple[FieldPair, ...] = ()
    exclude: tuple[str, ...] = ()


class ConnectionSettings(Settings):
    conflict: ConflictPolicy = ConflictPolicy()
    subject_is_qbo_id: bool = True  # CRM invoice Subject := QBO invoice id
    quote_subject_is_qbo_id: bool = False
    field_mapping: dict[str, FieldMapping] = Field(default_factory=dict)
    void_status: dict[str, str | None] = Field(
        default_factory=lambda: {"invoice": "Cancelled", "quote": None}
    )

    def mapping_for(self, kind: str) -> FieldMapping:
        return self.field_mapping.get(kind, FieldMapping())


DEFAULT_SETTINGS = ConnectionSettings()
