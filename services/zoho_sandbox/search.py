"""`GET /{module}/search` by `criteria`, `email`, `phone` or `word`."""

from __future__ import annotations

from aiohttp import web

from .criteria import CriteriaParser, Predicate
from .errors import ZohoError, required_param
from .org import Record
from .paging import per_page_of
from .reads import fields_param, sorted_records
from .render import render_record
from .schema import Module
from .state import module_of, org_of

SEARCH_LIMIT = 2000
TEXT_TYPES = ("text", "textarea", "email", "phone", "picklist", "website")


def _fields_of(module: Module, *kinds: str) -> list[str]:
    return [f.api_name for f in module.fields if f.data_type in kinds]


def _contains(names: list[str], needle: str, exact: bool) -> Predicate:
    needle = needle.lower()

    def test(record: Record) -> bool:
        for name in names:
            value = record.get(name)
            if isinstance(value, str):
                text = value.lower()
                if (text == needle) if exact else (needle in text):
                    return True
        return False

    return test


def predicate_of(request: web.Request, module: Module) -> Predicate:
    query = request.query
    if "criteria" in query:
        return CriteriaParser(query["criteria"], module).parse()
    if "email" in query:
        return _contains(_fields_of(module, "email"), query["email"], exact=True)
    if "phone" in query:
        return _contains(_fields_of(module, "phone"), query["phone"], exact=False)
    if "word" in query:
        return _contains(_fields_of(module, *TEXT_TYPES), query["word"], exact=False)
    raise required_param("criteria")


async def search_records(request: web.Request) -> web.StreamResponse:
    org, module = org_of(request), module_of(request)
    matches = predicate_of(request, module)
    fields = fields_param(request, module, required=False)
    per_page = per_page_of(request)
    page = int(request.query.get("page", "1"))
    if page * per_page > SEARCH_LIMIT:
        raise ZohoError(
            400,
            "LIMIT_REACHED",
            "search results limit reached",
            {"limit": SEARCH_LIMIT},
        )
    found = [r for r in org.module_records(module.api_name).values() if matches(r)]
    ordered = sorted_records(found, "id", "desc")
    start = (page - 1) * per_page
    chunk = ordered[start : start + per_page]
    if not chunk:
        return web.Response(status=204)
    info = {
        "per_page": per_page,
        "count": len(chunk),
        "sort_by": "id",
        "page": page,
        "sort_order": "desc",
        "more_records": start + per_page < min(len(ordered), SEARCH_LIMIT),
    }
    data = [render_record(org, module, record, fields) for record in chunk]
    return web.json_response({"data": data, "info": info})
