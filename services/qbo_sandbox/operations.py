"""Create, read, full and sparse update, delete and void: the rules every
entity shares (SyncToken, not-found, change notifications)."""

from __future__ import annotations

import copy
from collections.abc import Callable

from services.qbo_sandbox import errors
from services.qbo_sandbox.accounts import build_account
from services.qbo_sandbox.clock import meta_time
from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.items import build_item
from services.qbo_sandbox.lines import zero_lines
from services.qbo_sandbox.meta import stamp_new, stamp_update
from services.qbo_sandbox.parties import build_party
from services.qbo_sandbox.transactions import build_txn
from services.qbo_sandbox.write_context import WriteContext

Builder = Callable[[Company, str, Record, Record | None, WriteContext], Record]

BUILDERS: dict[str, Builder] = {
    "Customer": build_party,
    "Vendor": build_party,
    "Item": build_item,
    "Account": build_account,
    "Invoice": build_txn,
    "Estimate": build_txn,
}
READ_ONLY_ENTITIES = ("TaxCode", "Term", "CompanyInfo", "Preferences")
READABLE = (*BUILDERS, *READ_ONLY_ENTITIES)
DELETABLE = ("Invoice", "Estimate")
VOIDABLE = ("Invoice",)
NAME_LISTS = ("Customer", "Vendor", "Item", "Account", "TaxCode", "Term")


def read(company: Company, entity: str, entity_id: str) -> Record:
    record = company.get(entity, entity_id)
    if record is None:
        raise errors.object_not_found()
    return record


def save(company: Company, entity: str, body: Record, ctx: WriteContext) -> Record:
    builder = BUILDERS.get(entity)
    if builder is None:
        raise errors.unsupported(f"create/update for {entity}")
    if not body.get("Id"):
        record = builder(company, entity, copy.deepcopy(body), None, ctx)
        stamp_new(company, entity, record, ctx.now)
        company.put(entity, record)
        company.notify(entity, record["Id"], "Create", ctx.now)
        return record
    old = current_version(company, entity, body)
    source = copy.deepcopy(body)
    if body.get("sparse") is True:
        merged = copy.deepcopy(old)
        merged.update(source)
        source = merged
    record = builder(company, entity, source, old, ctx)
    stamp_update(company, old, record, ctx.now)
    company.put(entity, record)
    deactivated = (
        entity in NAME_LISTS and old.get("Active", True) and not record["Active"]
    )
    # Intuit reports a name-list deactivation as a Delete event (see README).
    company.notify(entity, record["Id"], "Delete" if deactivated else "Update", ctx.now)
    return record


def current_version(company: Company, entity: str, body: Record) -> Record:
    old = company.get(entity, str(body.get("Id")))
    if old is None:
        raise errors.object_not_found()
    token = body.get("SyncToken")
    if token is None or token == "":
        raise errors.required_missing("SyncToken")
    if str(token) != old["SyncToken"]:
        raise errors.stale_object()
    return old


def delete(company: Company, entity: str, body: Record, ctx: WriteContext) -> Record:
    if entity not in DELETABLE:
        raise errors.unsupported(f"delete for {entity}")
    old = current_version(company, entity, body)
    company.remove(entity, old["Id"], meta_time(ctx.now, company.tz))
    company.notify(entity, old["Id"], "Delete", ctx.now)
    return {"status": "Deleted", "domain": "QBO", "Id": old["Id"]}


def void(company: Company, entity: str, body: Record, ctx: WriteContext) -> Record:
    if entity not in VOIDABLE:
        raise errors.unsupported(f"Void for {entity}")
    old = current_version(company, entity, body)
    record = copy.deepcopy(old)
    zero_lines(record["Line"])
    record["TotalAmt"] = 0.0
    record["Balance"] = 0.0
    record["TxnTaxDetail"] = {"TotalTax": 0}
    record["PrivateNote"] = "Voided"
    stamp_update(company, old, record, ctx.now)
    company.put(entity, record)
    company.notify(entity, record["Id"], "Void", ctx.now)
    return record
