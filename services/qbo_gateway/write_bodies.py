"""What a write command becomes in QBO: request bodies, live match-key
queries, and the rule that settles a duplicate DisplayName (6240)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from common.entities import RECORD_TYPE
from common.matchkeys import KeyCheck
from common.messages import WriteCommand
from common.records import CanonicalRecord, Product, SalesDocument
from common.translation.fieldmap import FieldMap
from services.qbo_gateway.catalog import QboEntity
from services.qbo_gateway.client import MAX_RESULTS, quote


@dataclass(frozen=True)
class WriteContext:
    """Per-tenant facts a body needs, looked up once."""

    field_map: FieldMap | None = None
    income_account_id: str | None = None
    tax_codes: dict[str, str] | None = None
    us_tax: bool = True


def build_body(
    entity: QboEntity,
    record: CanonicalRecord,
    command: WriteCommand,
    *,
    existing_id: str | None,
    sync_token: str | int | None,
    context: WriteContext,
) -> dict[str, Any]:
    # The writer is the entity's: a record of another kind would fail in it
    # with a less telling error.
    if not isinstance(record, RECORD_TYPE[("qbo", entity.bus)]):
        raise ValueError(f"a {type(record).__name__} is not a QBO {entity.api}")
    return entity.write(
        record,
        fields=tuple(command.fields) if existing_id else (),
        existing_id=existing_id,
        sync_token=sync_token,
        field_map=context.field_map,
        **_writer_extras(record, context),
    )


def _writer_extras(record: CanonicalRecord, context: WriteContext) -> dict[str, Any]:
    """The arguments only some writers take (see ``catalog.QboWriter``)."""
    if isinstance(record, Product):
        return {"income_account_id": context.income_account_id}
    if isinstance(record, SalesDocument):
        return {"tax_codes": context.tax_codes, "us_tax": context.us_tax}
    return {}


def deactivation_body(
    entity: QboEntity, existing_id: str, sync_token: str | int
) -> tuple[dict[str, Any], str | None]:
    """(body, batch optionsData) that retires a record without deleting it.

    Accounting data is never hard-deleted: name lists become inactive,
    invoices are voided (the document stays, amounts zeroed), estimates are
    marked Rejected.
    """
    base = {"Id": existing_id, "SyncToken": str(sync_token), "sparse": True}
    if entity.name_list:
        return {**base, "Active": False}, None
    if entity.api == "Invoice":
        return base, "void"
    return {**base, "TxnStatus": "Rejected"}, None


def needs_like(check: KeyCheck) -> bool:
    """A name of several words: QBO keeps its inner spaces as typed, so only
    LIKE (``%`` between the words) finds every spacing of it; such a query
    asks one key. Every other key is compared whole (QBO compares
    case-insensitively and trims), so many of them fit one ``IN``."""
    return check.kind == "name" and len(check.key.split()) > 1


def match_query(entity: QboEntity, check: KeyCheck) -> str:
    """The live query for the rows that may hold one key; ``holds_key``
    confirms each."""
    words = check.key.split()
    if needs_like(check):
        where = f"{check.field} LIKE {quote('%'.join(words))}"
    else:
        where = f"{check.field} = {quote(check.key)}"
    return (
        f"SELECT * FROM {entity.api} WHERE {where}{entity.active_clause()} "
        f"MAXRESULTS {MAX_RESULTS}"
    )


def keys_query(entity: QboEntity, field: str, keys: Sequence[str]) -> str:
    """One live query for the rows that may hold any of several whole keys
    of one field (a batch's emails, say): one call from the per-minute
    budget instead of a batch call per write batch."""
    values = ", ".join(quote(key) for key in sorted(set(keys)))
    return (
        f"SELECT * FROM {entity.api} WHERE {field} IN ({values})"
        f"{entity.active_clause()} MAXRESULTS {MAX_RESULTS}"
    )


def holds_key(row: dict[str, Any], check: KeyCheck) -> bool:
    """Whether a live row holds the key, by the common rule."""
    value = row.get(check.field)
    if isinstance(value, dict):  # PrimaryEmailAddr: {"Address": ...}
        value = value.get("Address")
    return check.held_by(value)


MAX_NAME = 500


def base_name(body: dict[str, Any]) -> str:
    """The name we chose, cut so a " (n)" still fits QBO's 500 characters."""
    return str(body.get("DisplayName") or "").strip()[: MAX_NAME - 8]


def numbered_name(body: dict[str, Any], base: str, number: int) -> dict[str, Any]:
    """6240: the rule appends " (2)", " (3)", … to the name we chose; the
    person's own names and the email stay as they are."""
    return {**body, "DisplayName": f"{base} ({number})"}


def numbered_query(api: str, base: str) -> str:
    """The rows whose name may be ``base`` numbered."""
    return (
        f"SELECT * FROM {api} WHERE DisplayName LIKE {quote(base + ' (%')} "
        f"AND Active IN (true, false) MAXRESULTS {MAX_RESULTS}"
    )


def number_of(row: dict[str, Any], base: str) -> int | None:
    """n when the row's name is "base (n)" (compared as QBO does: case and
    surrounding spaces aside), else None."""
    name = str(row.get("DisplayName") or "").strip()
    head, _, tail = name.rpartition(" (")
    if head.casefold() != base.casefold() or not tail.endswith(")"):
        return None
    digits = tail[:-1]
    return int(digits) if digits.isdigit() else None
