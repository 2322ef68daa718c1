"""Runs a parsed query against one company's records."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import partial
from typing import Any

from services.qbo_sandbox import errors
from services.qbo_sandbox.clock import parse_when
from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.operations import NAME_LISTS, READABLE
from services.qbo_sandbox.query_parser import Condition, Query, Value, parse_query

DEFAULT_MAX = 100
CEILING = 1000
META = ("MetaData.CreateTime", "MetaData.LastUpdatedTime")
PARTY = (
    "Id",
    "DisplayName",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "PrimaryEmailAddr",
    "Active",
    "CompanyName",
    "Balance",
    "FullyQualifiedName",
    "PrintOnCheckName",
    *META,
)
SALES_FORM = (
    "Id",
    "DocNumber",
    "TxnDate",
    "DueDate",
    "CustomerRef",
    "TotalAmt",
    "Balance",
    "EmailStatus",
    "PrintStatus",
    *META,
)
QUERYABLE: dict[str, tuple[str, ...]] = {
    "Customer": (*PARTY, "Job", "ParentRef"),
    "Vendor": (*PARTY, "Vendor1099", "AcctNum"),
    "Item": (
        "Id",
        "Name",
        "Active",
        "Type",
        "Sku",
        "FullyQualifiedName",
        "UnitPrice",
        "Taxable",
        "ParentRef",
        *META,
    ),
    "Invoice": SALES_FORM,
    "Estimate": (*SALES_FORM, "TxnStatus", "ExpirationDate"),
    "Account": (
        "Id",
        "Name",
        "AccountType",
        "AccountSubType",
        "Classification",
        "Active",
        "FullyQualifiedName",
        "CurrentBalance",
        *META,
    ),
    "TaxCode": ("Id", "Name", "Active", "Taxable", *META),
    "Term": ("Id", "Name", "Active", "DueDays", *META),
    "CompanyInfo": ("Id", "CompanyName", *META),
    "Preferences": ("Id", *META),
}
NUMERIC = ("Balance", "TotalAmt", "UnitPrice", "CurrentBalance", "DueDays")
DAYS = ("TxnDate", "DueDate", "ExpirationDate")
# Intuit's sample responses carry totalCount on transaction queries only.
COUNTED = ("Invoice", "Estimate")


def canonical_entity(name: str) -> str:
    for entity in READABLE:
        if entity.lower() == name.lower():
            return entity
    raise errors.query_invalid(f"Invalid entity name {name}")


def canonical_field(entity: str, name: str) -> str:
    for candidate in QUERYABLE[entity]:
        if candidate.lower() == name.lower():
            return candidate
    raise errors.query_invalid(f"property '{name}' is not queryable")


def field_value(record: Record, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict):
        value = value.get("value", value.get("Address"))
    return value


def comparable(entity_field: str, raw: Any, company: Company) -> Any:
    if raw is None:
        return None
    if entity_field in META:
        return parse_when(str(raw), company.tz)
    if entity_field in DAYS:
        return date.fromisoformat(str(raw)[:10])
    if entity_field == "Id" or entity_field in NUMERIC:
        try:
            return float(raw)
        except (TypeError, ValueError):
            return str(raw).casefold()
    if isinstance(raw, bool):
        return raw
    return str(raw).casefold()


def literal(entity_field: str, value: Value, company: Company) -> Any:
    if isinstance(value, bool):
        return value
    if entity_field in ("Active", "Taxable", "Job", "Vendor1099"):
        return str(value).lower() == "true"
    try:
        return comparable(entity_field, value, company)
    except ValueError:
        raise errors.query_invalid(
            f"{value!r} is not a valid value for {entity_field}"
        ) from None


def matches(record: Record, condition: Condition, company: Company) -> bool:
    actual = comparable(condition.field, field_value(record, condition.field), company)
    if condition.op == "like":
        pattern = ".*".join(
            re.escape(part) for part in str(condition.values[0]).split("%")
        )
        return (
            actual is not None and re.fullmatch(pattern, str(actual), re.I) is not None
        )
    wanted = [literal(condition.field, value, company) for value in condition.values]
    if actual is None:
        return False
    try:
        if condition.op in ("=", "in"):
            return actual in wanted
        left, right = actual, wanted[0]
        return bool(
            {
                "<": left < right,
                ">": left > right,
                "<=": left <= right,
                ">=": left >= right,
            }[condition.op]
        )
    except TypeError:
        return False


def validate(query: Query) -> Query:
    query.entity = canonical_entity(query.entity)
    for condition in query.conditions:
        condition.field = canonical_field(query.entity, condition.field)
        if condition.field == "Id" and condition.op not in ("=", "in"):
            raise errors.query_invalid("Id supports only the = and IN operators")
    query.order = [(canonical_field(query.entity, f), desc) for f, desc in query.order]
    return query


def sort_key(record: Record) -> tuple[int, float | str]:
    raw = record.get("Id", "")
    return (0, float(raw)) if str(raw).isdigit() else (1, str(raw))


def select(company: Company, query: Query) -> list[Record]:
    conditions = list(query.conditions)
    if query.entity in NAME_LISTS and not any(c.field == "Active" for c in conditions):
        conditions.append(Condition("Active", "=", [True]))
    rows = [
        record
        for record in company.table(query.entity).values()
        if all(matches(record, condition, company) for condition in conditions)
    ]
    rows.sort(key=sort_key)
    for name, desc in reversed(query.order):
        rows.sort(key=partial(order_value, name=name, company=company), reverse=desc)
    return rows


def order_value(record: Record, *, name: str, company: Company) -> tuple[int, Any]:
    value = comparable(name, field_value(record, name), company)
    if value is None:
        return (0, "")
    if isinstance(value, datetime | date):
        return (1, value.isoformat() if isinstance(value, date) else value.timestamp())
    return (1, value)


def project(record: Record, fields: list[str]) -> Record:
    if not fields:
        return record
    picked = {name: record[name] for name in fields if name in record}
    picked.update({"Id": record["Id"], "domain": "QBO", "sparse": True})
    return picked


def run_query(company: Company, text: str) -> dict[str, Any]:
    query = validate(parse_query(text))
    rows = select(company, query)
    if query.count:
        return {"totalCount": len(rows)}
    start = max(query.start or 1, 1)
    limit = min(max(query.max_results or DEFAULT_MAX, 1), CEILING)
    page = rows[start - 1 : start - 1 + limit]
    if not page:
        return {}
    response: dict[str, Any] = {
        query.entity: [project(r, projection_fields(query)) for r in page],
        "startPosition": start,
        "maxResults": len(page),
    }
    if query.entity in COUNTED:
        response["totalCount"] = len(page)
    return response


def projection_fields(query: Query) -> list[str]:
    return [name for name in query.projection if name != "*"]
