"""A connection's (tenant's) settings, typed and read once.

Stored under ``connections.{_id: tenant}.settings``; every field has a
default, so a tenant without settings syncs as the product it replaces did.
The matcher reads the sync policy (conflicts, field mapping, subjects, void
status), each gateway its own side's extra fields (``field_maps``) and the
qbo-gateway its tax settings. A setting that is not one of these, or of the
wrong type, is refused when the connection is read (a typo would otherwise
be ignored without a word).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.translation.fieldmap import FieldMap

Winner = Literal["latest", "crm_wins", "qbo_wins"]


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConflictPolicy(_Settings):
    """Who wins when both sides changed a field since the last sync."""

    default: Winner = "latest"
    fields: dict[str, Winner] = Field(default_factory=dict)

    def winner_for(self, field: str) -> Winner:
        return self.fields.get(field, self.default)


class FieldPair(_Settings):
    """An extra synced field: its path on each side, e.g. ``custom.Industry``."""

    crm: str
    qbo: str


class FieldMapping(_Settings):
    """The matcher's synced fields of one pair kind: extra pairs, exclusions."""

    extra: tuple[FieldPair, ...] = ()
    exclude: tuple[str, ...] = ()


class FieldMaps(_Settings):
    """Each side's extra API fields, per entity, carried in ``record.custom``
    (see common/translation/fieldmap.py)."""

    crm: dict[str, FieldMap] = Field(default_factory=dict)
    qbo: dict[str, FieldMap] = Field(default_factory=dict)


class ConnectionSettings(_Settings):
    conflict: ConflictPolicy = ConflictPolicy()
    subject_is_qbo_id: bool = True  # CRM invoice Subject := QBO invoice id
    quote_subject_is_qbo_id: bool = False
    field_mapping: dict[str, FieldMapping] = Field(default_factory=dict)
    void_status: dict[str, str | None] = Field(
        default_factory=lambda: {"invoice": "Cancelled", "quote": None}
    )
    field_maps: FieldMaps = FieldMaps()
    # A source tax code (a Zoho tax name) → QBO TaxCode id; US companies
    # (automated sales tax) take TAX/NON per line instead.
    qbo_tax_codes: dict[str, str] | None = None
    qbo_us_tax: bool = True

    def mapping_for(self, kind: str) -> FieldMapping:
        return self.field_mapping.get(kind, FieldMapping())

    def field_map(self, system: str, entity: str) -> FieldMap | None:
        maps = self.field_maps.crm if system == "crm" else self.field_maps.qbo
        return maps.get(entity)


DEFAULT_SETTINGS = ConnectionSettings()
