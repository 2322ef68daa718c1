"""Server-owned fields every entity carries: Id, SyncToken, MetaData,
domain and sparse."""

from __future__ import annotations

from datetime import datetime

from services.qbo_sandbox.clock import meta_time
from services.qbo_sandbox.company import Company, Record

USD = {"name": "United States Dollar", "value": "USD"}


def stamp_new(company: Company, entity: str, record: Record, now: datetime) -> Record:
    when = meta_time(now, company.tz)
    record["Id"] = company.next_id(entity)
    record["SyncToken"] = "0"
    record["domain"] = "QBO"
    record["sparse"] = False
    record["MetaData"] = {"CreateTime": when, "LastUpdatedTime": when}
    return record


def stamp_update(
    company: Company, old: Record, record: Record, now: datetime
) -> Record:
    record["Id"] = old["Id"]
    record["SyncToken"] = str(int(old["SyncToken"]) + 1)
    record["domain"] = "QBO"
    record["sparse"] = False
    record["MetaData"] = {
        "CreateTime": old["MetaData"]["CreateTime"],
        "LastUpdatedTime": meta_time(now, company.tz),
    }
    return record


def new_address_id(company: Company, address: object) -> None:
    """QBO gives every stored address its own Id."""
    if isinstance(address, dict) and "Id" not in address:
        address["Id"] = str(company.next_number("address", start=100))
