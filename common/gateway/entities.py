"""One entity a gateway syncs, described the same way by both gateways.

Each gateway holds one table of these (``crm_gateway/modules.py``,
``qbo_gateway/catalog.py``). The translation functions are held as
references, not names, so the type checker sees every one and an editor's
go-to-definition lands on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from common.messages import Version
from common.records import CanonicalRecord
from common.translation.fieldmap import FieldMap

# API JSON and the tenant's field map (its extra fields) → (record, version).
Read = Callable[[dict[str, Any], FieldMap | None], tuple[CanonicalRecord, Version]]

# Record → API write body. Its keyword arguments are each gateway's own (QBO
# needs a SyncToken, Zoho does not), so each gateway names its writer type.
WriteT = TypeVar("WriteT", bound=Callable[..., dict[str, Any]])


@dataclass(frozen=True, kw_only=True)
class EntitySpec(Generic[WriteT]):
    bus: str  # the entity's name on the bus: contact, customer, invoice, ...
    api: str  # the API's name for it: a Zoho module (Contacts), a QBO entity
    read: Read
    write: WriteT
    # Fields a list or query asks for; () asks for all of them.
    list_fields: tuple[str, ...] = ()
    # The live re-check before a create: which API field holds which key
    # kind (common/matchkeys.py); the write command's keys give the order.
    match_fields: tuple[tuple[str, str], ...] = ()
    # Deactivated, never deleted (QBO's name lists): a delete notice means
    # "fetch it", and queries must ask for inactive rows too.
    name_list: bool = False
    # The checkbox that is false when the record is inactive; None: the API
    # has no inactive state for it.
    deactivate_field: str | None = None
    # A document with lines (Zoho returns them only when asked for one record).
    line_items: bool = False
