"""The /v3/company/{realmId}/... routes. The guard middleware has already
authenticated, throttled and put the company on the request."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from services.qbo_sandbox import errors, operations
from services.qbo_sandbox.batch import run_batch
from services.qbo_sandbox.cdc import run_cdc
from services.qbo_sandbox.company import Company
from services.qbo_sandbox.keys import COMPANY, STATS, WORLD
from services.qbo_sandbox.query_exec import run_query
from services.qbo_sandbox.responses import json_response
from services.qbo_sandbox.write_context import WriteContext

URL_ENTITIES = {name.lower(): name for name in operations.READABLE}


def company_of(request: web.Request) -> Company:
    return request[COMPANY]


def context(request: web.Request) -> WriteContext:
    include = request.query.get("include", "").lower().split(",")
    return WriteContext(
        now=request.app[WORLD].clock.now(),
        allow_duplicate_doc_number="allowduplicatedocnum" in include,
    )


def reply(request: web.Request, body: dict[str, Any]) -> web.Response:
    return json_response(body, request.app[WORLD].clock.now(), company_of(request).tz)


def url_entity(request: web.Request) -> str:
    entity = URL_ENTITIES.get(request.match_info["entity"].lower())
    if entity is None or entity in ("CompanyInfo", "Preferences"):
        raise no_resource(request)
    return entity


def no_resource(request: web.Request) -> errors.QboError:
    return errors.unsupported(
        f"Could not find resource for relative : {request.path} of full path: "
        f"{request.url}"
    )


async def json_body(request: web.Request) -> Any:
    text = await request.text()
    try:
        return json.loads(text)
    except ValueError:
        raise errors.request_malformed(
            "Request has invalid or unsupported property: the body is not valid JSON"
        ) from None


async def read_entity(request: web.Request) -> web.Response:
    entity = url_entity(request)
    record = operations.read(
        company_of(request), entity, request.match_info["entity_id"]
    )
    return reply(request, {entity: record})


async def write_entity(request: web.Request) -> web.Response:
    entity = url_entity(request)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise errors.request_malformed("The request body must be a JSON object")
    company, ctx = company_of(request), context(request)
    operation = request.query.get("operation", "").lower()
    if operation == "delete":
        result = operations.delete(company, entity, body, ctx)
    elif operation == "void":
        result = operations.void(company, entity, body, ctx)
    elif operation in ("", "update", "create"):
        result = operations.save(company, entity, body, ctx)
    else:
        raise errors.unsupported(f"{operation} for {entity}")
    return reply(request, {entity: result})


async def query(request: web.Request) -> web.Response:
    text = request.query.get("query")
    if request.method == "POST" and text is None:
        text = await request.text()
    return reply(request, {"QueryResponse": run_query(company_of(request), text or "")})


async def cdc(request: web.Request) -> web.Response:
    result = run_cdc(
        company_of(request),
        request.query.get("entities"),
        request.query.get("changedSince"),
        request.app[WORLD].clock.now(),
    )
    return reply(request, {"CDCResponse": result})


async def batch(request: web.Request) -> web.Response:
    body = await json_body(request)
    results = run_batch(company_of(request), body, context(request))
    request.app[STATS].batch_items += len(results)
    return reply(request, {"BatchItemResponse": results})


async def company_info(request: web.Request) -> web.Response:
    company = company_of(request)
    if request.match_info["entity_id"] != company.realm_id:
        raise errors.object_not_found()
    return reply(request, {"CompanyInfo": operations.read(company, "CompanyInfo", "1")})


async def preferences(request: web.Request) -> web.Response:
    record = operations.read(company_of(request), "Preferences", "1")
    return reply(request, {"Preferences": record})


async def unknown(request: web.Request) -> web.Response:
    raise no_resource(request)


def add_routes(app: web.Application) -> None:
    base = "/v3/company/{realm_id}"
    app.router.add_get(f"{base}/query", query)
    app.router.add_post(f"{base}/query", query)
    app.router.add_get(f"{base}/cdc", cdc)
    app.router.add_post(f"{base}/batch", batch)
    app.router.add_get(f"{base}/companyinfo/{{entity_id}}", company_info)
    app.router.add_get(f"{base}/preferences", preferences)
    app.router.add_get(f"{base}/{{entity}}/{{entity_id}}", read_entity)
    app.router.add_post(f"{base}/{{entity}}", write_entity)
    app.router.add_route("*", f"{base}/{{tail:.*}}", unknown)
