"""The body of a Zoho notification callback: bytes → a validated callback.

Zoho signs nothing; the channel's token travels in the body. So the body is
read in two steps: first only ``channel_id`` and ``token`` (401 when they
are missing, the caller having proved nothing yet), then, once the token
matched, the whole callback against Zoho's documented shape (400 with a
one-line reason otherwise). ``ids`` is a list of strings: a string is
refused, never split into characters.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError


class BadCallback(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _channel(value: Any) -> Any:
    # Zoho's channel id is a long: sent as a string, accepted as a number too.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# pydantic also refuses lone surrogates ("\\ud800"), which could not be hashed.
Text = Annotated[str, Field(min_length=1)]
ChannelId = Annotated[Text, BeforeValidator(_channel)]


class _Shape(BaseModel):
    # strict: no 1 → "1"; extra keys (affected_fields, ...) are Zoho's to add.
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


class Credentials(_Shape):
    channel_id: ChannelId
    token: Text


class Callback(_Shape):
    channel_id: ChannelId
    module: Text
    operation: Text  # insert, update, delete
    ids: list[str]
    # Part of the event id: without it two deliveries would share one.
    server_time: int


def decode(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except RecursionError:  # nesting deeper than the parser's stack
        raise BadCallback(400, "JSON nested too deeply") from None
    except ValueError:  # also invalid UTF-8 and huge integers
        raise BadCallback(400, "malformed JSON") from None
    if not isinstance(data, dict):
        raise BadCallback(400, "not a JSON object")
    return data


def credentials_of(data: dict[str, Any]) -> Credentials:
    try:
        return Credentials.model_validate(data)
    except ValidationError:
        raise BadCallback(401, "missing channel or token") from None


def callback_of(data: dict[str, Any]) -> Callback:
    try:
        return Callback.model_validate(data)
    except ValidationError as exc:
        raise BadCallback(400, f"not a Zoho callback: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"[:300]
