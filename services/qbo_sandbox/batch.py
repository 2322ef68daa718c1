"""POST /batch: up to 30 independent operations, each answered under its bId
with the entity, a QueryResponse or its own Fault."""

from __future__ import annotations

from typing import Any

from services.qbo_sandbox import errors, operations
from services.qbo_sandbox.company import Company
from services.qbo_sandbox.query_exec import run_query
from services.qbo_sandbox.write_context import WriteContext

MAX_ITEMS = 30


def check_size(body: Any) -> list[dict[str, Any]]:
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise errors.required_missing("BatchItemRequest")
    if len(items) > MAX_ITEMS:
        raise errors.validation(
            "Batch size exceeded",
            f"Batch size exceeded : The maximum number of items in a batch is "
            f"{MAX_ITEMS}. This batch has {len(items)}.",
            "1040",
        )
    return items


def entity_of(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for key, value in item.items():
        if key in operations.BUILDERS and isinstance(value, dict):
            return key, value
    for key, value in item.items():
        if key[:1].isupper() and isinstance(value, dict):
            raise errors.unsupported(f"batch {item.get('operation')} for {key}")
    raise errors.request_malformed("BatchItemRequest has no entity or Query")


def run_item(
    company: Company, item: dict[str, Any], ctx: WriteContext
) -> dict[str, Any]:
    if "Query" in item:
        return {"QueryResponse": run_query(company, str(item["Query"]))}
    entity, payload = entity_of(item)
    operation = item.get("operation")
    if operation in ("create", "update"):
        if operation == "create" and payload.get("Id"):
            raise errors.request_malformed("Id must not be supplied on create")
        if operation == "update" and not payload.get("Id"):
            raise errors.required_missing("Id")
        if item.get("optionsData") == "void":
            return {entity: operations.void(company, entity, payload, ctx)}
        return {entity: operations.save(company, entity, payload, ctx)}
    if operation == "delete":
        return {entity: operations.delete(company, entity, payload, ctx)}
    raise errors.invalid_enum("operation", operation)


def run_batch(company: Company, body: Any, ctx: WriteContext) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for item in check_size(body):
        if not isinstance(item, dict):
            raise errors.request_malformed("BatchItemRequest items must be objects")
        try:
            result = run_item(company, item, ctx)
        except errors.QboError as error:
            result = {
                "Fault": {"type": error.fault_type, "Error": error.fault()["Error"]}
            }
        results.append({**result, "bId": item.get("bId")})
    return results
