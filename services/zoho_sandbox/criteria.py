"""Search criteria: `((Last_Name:equals:Burns)and(First_Name:starts_with:B))`.
Values escape `(`, `)` and `,` with a backslash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clock import parse_zoho_time
from .errors import ZohoError
from .org import Record
from .schema import Field, Module

OPERATORS = (
    "equals",
    "not_equal",
    "starts_with",
    "in",
    "greater_than",
    "greater_equal",
    "less_than",
    "less_equal",
    "between",
)
MAX_CRITERIA = 10
Predicate = Callable[[Record], bool]


def _invalid(reason: str) -> ZohoError:
    return ZohoError(400, "INVALID_QUERY", "invalid query formed", {"reason": reason})


class CriteriaParser:
    def __init__(self, text: str, module: Module) -> None:
        self.text = text
        self.pos = 0
        self.module = module
        self.conditions = 0

    def parse(self) -> Predicate:
        predicate = self._expression()
        if self.pos != len(self.text):
            raise _invalid("unexpected text after criteria")
        if self.conditions > MAX_CRITERIA:
            raise ZohoError(
                400,
                "LIMIT_EXCEEDED",
                "criteria limit exceeded",
                {"limit": MAX_CRITERIA},
            )
        return predicate

    def _expression(self) -> Predicate:
        left = self._term()
        while True:
            rest = self.text[self.pos :].lower()
            if rest.startswith("and"):
                self.pos += 3
                right, prior = self._term(), left
                left = self._both(prior, right)
            elif rest.startswith("or"):
                self.pos += 2
                right, prior = self._term(), left
                left = self._either(prior, right)
            else:
                return left

    @staticmethod
    def _both(a: Predicate, b: Predicate) -> Predicate:
        return lambda record: a(record) and b(record)

    @staticmethod
    def _either(a: Predicate, b: Predicate) -> Predicate:
        return lambda record: a(record) or b(record)

    def _term(self) -> Predicate:
        if self.pos >= len(self.text) or self.text[self.pos] != "(":
            if self.pos == 0:
                return self._condition(self._read_until_end())
            raise _invalid("expected (")
        self.pos += 1
        if self.pos < len(self.text) and self.text[self.pos] == "(":
            inner = self._expression()
        else:
            inner = self._condition(self._read_condition())
        if self.pos >= len(self.text) or self.text[self.pos] != ")":
            raise _invalid("expected )")
        self.pos += 1
        return inner

    def _read_condition(self) -> str:
        out = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(char + self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == ")":
                break
            out.append(char)
            self.pos += 1
        return "".join(out)

    def _read_until_end(self) -> str:
        text = self.text[self.pos :]
        self.pos = len(self.text)
        return text

    def _condition(self, text: str) -> Predicate:
        self.conditions += 1
        parts = text.split(":", 2)
        if len(parts) != 3:
            raise _invalid(f"bad condition {text!r}")
        name, operator, raw = parts
        field = self.module.field(name) if name != "id" else Field("id", "bigint", "Id")
        if field is None:
            raise ZohoError(
                400, "INVALID_QUERY", "invalid query formed", {"api_name": name}
            )
        if operator not in OPERATORS:
            raise _invalid(f"unknown operator {operator}")
        values = [_unescape(v) for v in _split_values(raw)]
        return _predicate(field, operator, values)


def _split_values(raw: str) -> list[str]:
    values, current, escaped = [], "", False
    for char in raw:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            values.append(current)
            current = ""
        else:
            current += char
    values.append(current)
    return values


def _unescape(value: str) -> str:
    return value.replace("\\(", "(").replace("\\)", ")").replace("\\,", ",")


def comparable(field: Field, value: Any) -> Any:
    """A stored value in a form that orders and compares like Zoho does."""
    if value is None:
        return None
    if isinstance(value, dict):
        return str(value.get("id"))
    if field.data_type == "datetime" and isinstance(value, str):
        return parse_zoho_time(value).timestamp()
    if field.data_type in ("double", "currency", "integer", "bigint"):
        return float(value)
    if field.data_type == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    if isinstance(value, str):
        return value.lower()
    return value


def _predicate(field: Field, operator: str, raw: list[str]) -> Predicate:
    try:
        wanted = [comparable(field, value) for value in raw]
    except ValueError as exc:
        raise _invalid(f"bad value for {field.api_name}") from exc
    name = field.api_name

    def test(record: Record) -> bool:
        have = comparable(field, record.get(name))
        first = wanted[0]
        if operator == "equals":
            return bool(have == first)
        if operator == "not_equal":
            return bool(have != first)
        if operator == "in":
            return have in wanted
        if have is None:
            return False
        if operator == "starts_with":
            return isinstance(have, str) and have.startswith(str(first))
        if operator == "between":
            return len(wanted) == 2 and bool(wanted[0] <= have <= wanted[1])
        checks = {
            "greater_than": have > first,
            "greater_equal": have >= first,
            "less_than": have < first,
            "less_equal": have <= first,
        }
        return bool(checks[operator])

    return test
