"""Both sides' real data and the store, read after quiescence and put in the
matcher's sync space: each raw record translated by its gateway's own
translation functions, then projected with services/matcher/fields.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.connection_settings import FieldMapping
from common.entities import COUNTERPART
from common.store import Store
from common.synced_fields import COMPANY, NOT_CARRIED
from services.crm_gateway.translation import (
    account_from_zoho,
    contact_from_zoho,
    invoice_from_zoho,
    product_from_zoho,
    quote_from_zoho,
    vendor_from_zoho,
)
from services.matcher.fields import field_specs, project
from services.qbo_gateway.translation import (
    customer_from_qbo,
    estimate_from_qbo,
    invoice_from_qbo,
    item_from_qbo,
    vendor_from_qbo,
)
from tests.convergence.clients import QBO_ENTITY, ZOHO_MODULE
from tests.e2e.system import TENANT, System

Key = tuple[str, str, str]  # system (crm | qbo), bus entity, external id
FROM_ZOHO: dict[str, Callable[..., Any]] = {
    "contact": contact_from_zoho,
    "account": account_from_zoho,
    "product": product_from_zoho,
    "vendor": vendor_from_zoho,
    "invoice": invoice_from_zoho,
    "quote": quote_from_zoho,
}
FROM_QBO: dict[str, Callable[..., Any]] = {
    "customer": customer_from_qbo,
    "item": item_from_qbo,
    "vendor": vendor_from_qbo,
    "invoice": invoice_from_qbo,
    "estimate": estimate_from_qbo,
}
KIND_OF_QBO = {qbo: crm for crm, qbo in COUNTERPART.items()}
MARKER = {
    "contact": "QuickBooks_Customer_Id",
    "product": "QuickBooks_Item_Id",
    "invoice": "QuickBooks_Invoice_Id",
    "quote": "QuickBooks_Estimate_Id",
}


@dataclass
class Seen:
    system: str
    entity: str
    external_id: str
    raw: dict[str, Any]
    record: dict[str, Any] | None = None  # canonical; None: untranslatable
    error: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # sync space

    @property
    def key(self) -> Key:
        return (self.system, self.entity, self.external_id)

    @property
    def kind(self) -> str:
        return self.entity if self.system == "crm" else KIND_OF_QBO[self.entity]

    @property
    def label(self) -> str:
        raw = self.raw
        name = (
            raw.get("Full_Name")
            or raw.get("Account_Name")
            or raw.get("Product_Name")
            or raw.get("Vendor_Name")
            or raw.get("Subject")
            or raw.get("DisplayName")
            or raw.get("Name")
            or raw.get("DocNumber")
        )
        return f"{self.system} {self.entity} {self.external_id} ({name})"

    @property
    def active(self) -> bool:
        if self.system == "crm":
            return self.raw.get("Product_Active") is not False
        if self.entity == "invoice":
            return not (self.record or {}).get("voided")
        if self.entity == "estimate":
            # The sync retires an estimate as Rejected (accounting data is
            # never deleted); a Closed one is done with too.
            return self.raw.get("TxnStatus") not in ("Rejected", "Closed")
        return self.raw.get("Active", True) is not False


@dataclass
class Observed:
    records: dict[Key, Seen]
    deleted_qbo: set[Key]  # QBO tombstones (deleted transactions)
    links: list[dict[str, Any]]
    mirror: dict[Key, dict[str, Any]]
    parked: dict[Key, dict[str, Any]]
    dead_letters: list[dict[str, Any]]

    def of(self, system: str, entity: str) -> list[Seen]:
        return [
            s for s in self.records.values() if (s.system, s.entity) == (system, entity)
        ]

    def link_of(self, seen: Seen) -> dict[str, Any] | None:
        id_key = "crm_id" if seen.system == "crm" else "qbo_id"
        for link in self.links:
            if link["kind"] == seen.kind and link.get(id_key) == seen.external_id:
                return link
        return None


async def zoho_records(system: System, module: str) -> list[dict[str, Any]]:
    """Every record of a module: list the ids, then GET each (lines included)."""
    ids: list[str] = []
    page = 1
    while True:
        status, body = await system.zoho.call(
            "GET",
            f"/{module}",
            params={"fields": "Modified_Time", "per_page": "200", "page": str(page)},
        )
        if status == 204 or not body:
            break
        assert status == 200, body
        ids += [str(row["id"]) for row in body["data"]]
        if not body["info"].get("more_records"):
            break
        page += 1
    return [await system.zoho.get(module, record_id) for record_id in ids]


def translated(seen: Seen, reader: Callable[..., Any]) -> Seen:
    try:
        record, _version = reader(seen.raw)
        seen.record = record.model_dump(mode="json")
    except (ValueError, KeyError, TypeError) as error:
        seen.error = f"{type(error).__name__}: {error}"
    return seen


def with_account(contact: dict[str, Any], accounts: dict[str, Seen]) -> dict[str, Any]:
    """A CRM contact's company fields from its account, as views.py does."""
    own = {*(contact.get(NOT_CARRIED) or ()), *COMPANY}
    account = accounts.get(contact.get("account_id") or "")
    if account is None or account.record is None:
        return {**contact, NOT_CARRIED: sorted(own)}
    unknown = set(account.record.get(NOT_CARRIED) or ())
    pairs = {"company_name": "name", "billing_address": "billing_address"}
    carried = {ours for ours, theirs in pairs.items() if theirs not in unknown}
    return {
        **contact,
        **{ours: account.record.get(theirs) for ours, theirs in pairs.items()},
        NOT_CARRIED: sorted(own - carried),
    }


def in_crm_ids(seen: Seen, links: list[dict[str, Any]]) -> dict[str, Any]:
    """A QBO document's references as CRM ids (unlinked ones kept visible)."""
    assert seen.record is not None

    def crm_id(kind: str, qbo_id: str | None) -> str | None:
        if qbo_id is None:
            return None
        for link in links:
            if link["kind"] == kind and link.get("qbo_id") == qbo_id:
                return str(link.get("crm_id"))
        return f"unlinked QBO id {qbo_id}"

    record = seen.record
    lines = [
        {**line, "product_id": crm_id("product", line.get("product_id"))}
        for line in record.get("lines") or ()
    ]
    return {
        **record,
        "party_id": crm_id("contact", record.get("party_id")),
        "lines": lines,
    }


def project_all(observed: Observed) -> None:
    accounts = {s.external_id: s for s in observed.of("crm", "account")}
    for seen in observed.records.values():
        if seen.record is None or seen.entity == "account":
            continue
        record = seen.record
        if seen.kind == "contact" and seen.system == "crm":
            record = with_account(record, accounts)
        if seen.kind in ("invoice", "quote") and seen.system == "qbo":
            record = in_crm_ids(seen, observed.links)
        specs = field_specs(seen.kind, FieldMapping())
        seen.values = project(record, seen.system, specs)


async def observe(system: System, store: Store) -> Observed:
    records: dict[Key, Seen] = {}
    for entity, module in ZOHO_MODULE.items():
        for raw in await zoho_records(system, module):
            seen = translated(
                Seen("crm", entity, str(raw["id"]), raw), FROM_ZOHO[entity]
            )
            records[seen.key] = seen
    deleted_qbo: set[Key] = set()
    for entity, name in QBO_ENTITY.items():
        found = await system.qbo.admin("GET", f"records?entity={name}")
        for raw in found["records"]:
            seen = translated(
                Seen("qbo", entity, str(raw["Id"]), raw), FROM_QBO[entity]
            )
            records[seen.key] = seen
        for gone_id in (found.get("deleted") or {}).get(name, {}):
            deleted_qbo.add(("qbo", entity, str(gone_id)))
    db = store.db
    links = await db["matcher_links"].find({"tenant": TENANT}).to_list(None)
    mirror = {
        (m["system"], m["entity"], m["external_id"]): m
        for m in await db["matcher_mirror"].find({"tenant": TENANT}).to_list(None)
    }
    parked = {
        (p["system"], p["entity"], p["external_id"]): p
        for p in await db["matcher_parked"].find({"tenant": TENANT}).to_list(None)
    }
    dead = await db["dead_letters"].find({}).to_list(None)
    observed = Observed(records, deleted_qbo, links, mirror, parked, dead)
    project_all(observed)
    return observed
