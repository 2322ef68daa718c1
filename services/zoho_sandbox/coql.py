"""`POST /crm/v8/coql`: runs a parsed query over an org's records."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from .coql_parser import Condition, Logical, Parser, Query
from .criteria import comparable
from .errors import ZohoError, required_param
from .middleware import CREDITS_KEY
from .org import Org, Record
from .render import render_value
from .schema import MODULES, Field, Module, find_module
from .state import json_body, org_of

MAX_ROWS = 2000
MAX_REACH = 100_000
ID_FIELD = Field("id", "bigint", "Id")


def _invalid_column(column: str, clause: str) -> ZohoError:
    return ZohoError(
        400,
        "INVALID_QUERY",
        "invalid column given",
        {"column_name": column, "clause": clause},
    )


def _field(module: Module, column: str, clause: str) -> Field:
    base = column.split(".", 1)[0]
    field = ID_FIELD if base == "id" else module.field(base)
    if field is None or ("." in column and not field.lookup):
        raise _invalid_column(column, clause)
    return field


def _matches(module: Module, node: Any, record: Record) -> bool:
    if isinstance(node, Logical):
        results = (_matches(module, part, record) for part in node.parts)
        return all(results) if node.operator == "and" else any(results)
    condition: Condition = node
    field = _field(module, condition.column, "where")
    have = comparable(field, record.get(field.api_name))
    wanted = [
        comparable(field, v) if isinstance(v, str) else v for v in condition.values
    ]
    op = condition.operator
    if op in ("is null", "is not null"):
        return (have is None) == (op == "is null")
    if op in ("like", "not like"):
        pattern = (
            "^"
            + ".*".join(map(re.escape, str(condition.values[0]).lower().split("%")))
            + "$"
        )
        found = isinstance(have, str) and re.match(pattern, have) is not None
        return found == (op == "like")
    if op in ("in", "not in"):
        return (have in wanted) == (op == "in")
    if have is None:
        return op == "!="
    if op in ("between", "not between"):
        inside = bool(wanted[0] <= have <= wanted[1])
        return inside == (op == "between")
    try:
        return bool(
            {
                "=": have == wanted[0],
                "!=": have != wanted[0],
                ">": have > wanted[0],
                ">=": have >= wanted[0],
                "<": have < wanted[0],
                "<=": have <= wanted[0],
            }[op]
        )
    except TypeError as exc:
        raise ZohoError(
            400,
            "INVALID_QUERY",
            "invalid operator given",
            {"column_name": field.api_name},
        ) from exc


def _column_value(org: Org, module: Module, record: Record, column: str) -> Any:
    if column == "id":
        return record["id"]
    field = _field(module, column, "select")
    if "." in column:
        ref = record.get(field.api_name)
        target = org.module_records(field.lookup or "").get(ref["id"]) if ref else None
        sub = column.split(".", 1)[1]
        target_module = MODULES[field.lookup or ""]
        sub_field = target_module.field(sub) if sub != "id" else ID_FIELD
        if target is None or sub_field is None:
            return None
        return target["id"] if sub == "id" else render_value(org, sub_field, target)
    if field.data_type == "lookup":
        ref = record.get(field.api_name)
        return {"id": ref["id"]} if ref else None
    return render_value(org, field, record)


def _sort_key(module: Module, order: list[tuple[str, str]]) -> Any:
    def key(record: Record) -> tuple[Any, ...]:
        parts: list[Any] = []
        for column, direction in order:
            value = comparable(_field(module, column, "order by"), record.get(column))
            if column == "id":
                value = int(record["id"])
            rank = (value is None, value if value is not None else 0)
            parts.append(rank if direction == "asc" else _Reversed(rank))
        return (*parts, int(record["id"]))

    return key


class _Reversed:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value


def credits_for(limit: int) -> int:
    return 1 if limit <= 200 else 2 if limit <= 1000 else 3


def execute(org: Org, query: Query) -> tuple[list[Record], bool]:
    module = find_module(query.module)
    if module is None:
        raise ZohoError(
            400, "INVALID_QUERY", "invalid module given", {"module": query.module}
        )
    for column in query.columns:
        _field(module, column, "select")
    if query.limit > MAX_ROWS or query.offset + query.limit > MAX_REACH:
        raise ZohoError(400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": MAX_ROWS})
    found = [
        r
        for r in org.module_records(module.api_name).values()
        if _matches(module, query.where, r)
    ]
    found.sort(key=_sort_key(module, query.order or [("id", "asc")]))
    window = found[query.offset : query.offset + query.limit]
    rows = []
    for record in window:
        row = {c: _column_value(org, module, record, c) for c in query.columns}
        row["id"] = record["id"]
        rows.append(row)
    return rows, query.offset + query.limit < len(found)


async def run_query(request: web.Request) -> web.StreamResponse:
    body = await json_body(request)
    text = body.get("select_query")
    if not isinstance(text, str) or not text.strip():
        raise required_param("select_query")
    query = Parser(text).parse()
    rows, more = execute(org_of(request), query)
    request[CREDITS_KEY] = credits_for(query.limit) - 1
    if not rows:
        return web.Response(status=204)
    return web.json_response(
        {"data": rows, "info": {"count": len(rows), "more_records": more}}
    )
