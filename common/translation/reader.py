"""Reading API JSON safely: every problem names the record and the field.

Both gateways share this. A ``TranslationError`` is a ``ValueError``, which
the gateway's error table classifies as permanent: retrying the same payload
can never succeed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from common.translation.money import parse_decimal


class TranslationError(ValueError):
    def __init__(self, entity: str, record_id: str | None, field: str, problem: str):
        self.entity = entity
        self.record_id = record_id
        self.field = field
        super().__init__(f"{entity} {record_id or '(no id)'}: {field}: {problem}")


def get_path(data: Any, path: str) -> Any:
    value = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[last] = value


class Reader:
    """Typed access to one API record; empty strings read as None."""

    def __init__(self, entity: str, data: Any, id_key: str = "Id"):
        if not isinstance(data, dict):
            raise TranslationError(entity, None, "(record)", "is not a JSON object")
        self.entity = entity
        self.data: dict[str, Any] = data
        raw_id = data.get(id_key)
        self.record_id = str(raw_id) if raw_id not in (None, "") else None

    def fail(self, field: str, problem: str) -> TranslationError:
        return TranslationError(self.entity, self.record_id, field, problem)

    def raw(self, path: str) -> Any:
        return get_path(self.data, path)

    def text(self, path: str) -> str | None:
        value = self.raw(path)
        if value is None:
            return None
        if isinstance(value, bool | dict | list):
            raise self.fail(path, f"expected text, got {value!r}")
        text = str(value)
        return text if text.strip() else None

    def required_text(self, path: str) -> str:
        value = self.text(path)
        if value is None:
            raise self.fail(path, "is required and missing")
        return value

    def required_id(self) -> str:
        if self.record_id is None:
            raise self.fail("id", "is required and missing")
        return self.record_id

    def decimal(self, path: str) -> Decimal | None:
        value = self.raw(path)
        if value is None or value == "":
            return None
        try:
            return parse_decimal(value)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    def required_decimal(self, path: str) -> Decimal:
        value = self.decimal(path)
        if value is None:
            raise self.fail(path, "is required and missing")
        return value

    def boolean(self, path: str, default: bool | None = None) -> bool | None:
        value = self.raw(path)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.fail(path, f"expected a boolean, got {value!r}")

    def day(self, path: str) -> date | None:
        value = self.text(path)
        if value is None:
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise self.fail(path, f"not a yyyy-MM-dd date: {value!r}") from None

    def moment(self, path: str) -> datetime:
        value = self.required_text(path)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(path, f"not an ISO 8601 time: {value!r}") from None
        if moment.tzinfo is None:
            raise self.fail(path, f"has no UTC offset: {value!r}")
        return moment

    def records(self, path: str) -> list[dict[str, Any]]:
        value = self.raw(path)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(path, "expected a list of objects")
        return value
