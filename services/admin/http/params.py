"""Reading a request's parameters: every mistake is a BadRequest naming the
parameter and what is accepted, so a malformed request is a 400, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from common.entities import ENTITIES
from services.admin.http.errors import BadRequest

MAX_TEXT = 200
SYSTEMS = ("crm", "qbo")
Body = TypeVar("Body", bound=BaseModel)


def text(
    request: web.Request, name: str, *, required: bool = False, default: str = ""
) -> str:
    value = request.query.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(f"parameter {name!r} is required")
        return default
    if len(value) > MAX_TEXT:
        raise BadRequest(f"parameter {name!r} is longer than {MAX_TEXT} characters")
    return value


def integer(
    request: web.Request, name: str, *, default: int, low: int, high: int
) -> int:
    value = request.query.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"parameter {name!r} must be a whole number") from None
    if not low <= number <= high:
        raise BadRequest(f"parameter {name!r} must be between {low} and {high}")
    return number


def choice(
    request: web.Request, name: str, accepted: Iterable[str], *, default: str = ""
) -> str:
    options = tuple(accepted)
    value = text(request, name, default=default)
    if value and value not in options:
        raise BadRequest(f"parameter {name!r} must be one of: {', '.join(options)}")
    return value


def system_and_entity(system: str, entity: str) -> tuple[str, str]:
    """A side and one of its entities, as named in a path or a parameter."""
    if system not in SYSTEMS:
        raise BadRequest(
            f"system must be one of: {', '.join(SYSTEMS)} (not {system!r})"
        )
    if entity not in ENTITIES[system]:
        raise BadRequest(
            f"unknown {system} entity {entity!r}; accepted: "
            f"{', '.join(ENTITIES[system])}"
        )
    return system, entity


def day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD), not {value!r}") from None


async def body(request: web.Request, model: type[Body]) -> Body:
    """The JSON body as ``model``; the first problem named if it does not fit."""
    if request.content_type != "application/json":
        raise BadRequest("the body must be JSON (Content-Type: application/json)")
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        raise BadRequest(f"{where}: {error['msg']}") from None
    except json.JSONDecodeError:
        raise BadRequest("the body is not valid JSON") from None
