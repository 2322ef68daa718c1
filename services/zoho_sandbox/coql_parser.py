"""The COQL subset a modified-since sync needs:

    select F[, F...] from Module where <criteria>
    [order by F [asc|desc][, ...]] [limit N | limit OFFSET, N | limit N offset M]

with =, !=, <, <=, >, >=, like, not like, in, not in, between, is [not] null,
and/or and brackets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ZohoError

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)(?![\w.])"
    r"|(?P<op>>=|<=|!=|<>|=|>|<|\(|\)|,)|(?P<word>[A-Za-z_$][\w$.]*))"
)
KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "order",
    "by",
    "asc",
    "desc",
    "limit",
    "offset",
    "like",
    "not",
    "in",
    "is",
    "null",
    "between",
    "true",
    "false",
}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


@dataclass
class Condition:
    column: str
    operator: str
    values: list[Any] = field(default_factory=list)


@dataclass
class Logical:
    operator: str
    parts: list[Any]


@dataclass
class Query:
    columns: list[str]
    module: str
    where: Any
    order: list[tuple[str, str]]
    limit: int
    offset: int


def syntax_error(near: str, clause: str) -> ZohoError:
    return ZohoError(
        400,
        "SYNTAX_ERROR",
        "error occured while parsing the query",
        {"near": near, "clause": clause},
    )


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise syntax_error(text[pos : pos + 10], "query")
        kind = match.lastgroup or "op"
        value = match.group(kind)
        if kind == "word" and value.lower() in KEYWORDS:
            tokens.append(Token("kw", value.lower()))
        else:
            tokens.append(Token(kind, value))
        pos = match.end()
    return tokens


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.clause = "select"

    def peek(self, ahead: int = 0) -> Token | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise syntax_error("end of query", self.clause)
        self.pos += 1
        return token

    def accept(self, kind: str, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == kind and token.text == text:
            self.pos += 1
            return True
        return False

    def expect(self, kind: str, text: str) -> None:
        if not self.accept(kind, text):
            token = self.peek()
            raise syntax_error(token.text if token else "end of query", self.clause)

    def parse(self) -> Query:
        self.expect("kw", "select")
        columns = [self._word()]
        while self.accept("op", ","):
            columns.append(self._word())
        self.clause = "from"
        self.expect("kw", "from")
        module = self._word()
        self.clause = "where"
        if not self.accept("kw", "where"):
            # Zoho refuses a query without criteria ("where id is not null" is
            # the usual way to read everything).
            after = self.peek()
            raise syntax_error(after.text if after else module, "where")
        where = self._or()
        order = self._order()
        limit, offset = self._limit()
        if self.peek() is not None:
            raise syntax_error(self.take().text, self.clause)
        return Query(columns, module, where, order, limit, offset)

    def _word(self) -> str:
        token = self.take()
        if token.kind != "word":
            raise syntax_error(token.text, self.clause)
        return token.text

    def _or(self) -> Any:
        parts = [self._and()]
        while self.accept("kw", "or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else Logical("or", parts)

    def _and(self) -> Any:
        parts = [self._atom()]
        while self.accept("kw", "and"):
            parts.append(self._atom())
        return parts[0] if len(parts) == 1 else Logical("and", parts)

    def _atom(self) -> Any:
        if self.accept("op", "("):
            inner = self._or()
            self.expect("op", ")")
            return inner
        column = self._word()
        negate = self.accept("kw", "not")
        token = self.take()
        if token.kind == "op" and token.text in ("=", "!=", "<>", ">", ">=", "<", "<="):
            operator = "!=" if token.text == "<>" else token.text
            return Condition(column, operator, [self._value()])
        if token.text == "like":
            return Condition(column, "not like" if negate else "like", [self._value()])
        if token.text == "in":
            return Condition(column, "not in" if negate else "in", self._list())
        if token.text == "between":
            low = self._value()
            self.expect("kw", "and")
            operator = "not between" if negate else "between"
            return Condition(column, operator, [low, self._value()])
        if token.text == "is":
            is_not = self.accept("kw", "not")
            self.expect("kw", "null")
            return Condition(column, "is not null" if is_not else "is null")
        raise syntax_error(token.text, self.clause)

    def _list(self) -> list[Any]:
        self.expect("op", "(")
        values = [self._value()]
        while self.accept("op", ","):
            values.append(self._value())
        self.expect("op", ")")
        return values

    def _value(self) -> Any:
        token = self.take()
        if token.kind == "str":
            return token.text[1:-1].replace("''", "'")
        if token.kind == "num":
            return float(token.text)
        if token.kind == "kw" and token.text in ("true", "false"):
            return token.text == "true"
        if token.kind == "kw" and token.text == "null":
            return None
        if token.kind == "word":
            return token.text
        raise syntax_error(token.text, self.clause)

    def _order(self) -> list[tuple[str, str]]:
        if not self.accept("kw", "order"):
            return []
        self.clause = "order by"
        self.expect("kw", "by")
        order = []
        while True:
            column = self._word()
            direction = "asc"
            if self.accept("kw", "desc"):
                direction = "desc"
            else:
                self.accept("kw", "asc")
            order.append((column, direction))
            if not self.accept("op", ","):
                return order

    def _limit(self) -> tuple[int, int]:
        if not self.accept("kw", "limit"):
            return 200, 0
        self.clause = "limit"
        first = self._number()
        if self.accept("op", ","):
            return self._number(), first
        if self.accept("kw", "offset"):
            return first, self._number()
        return first, 0

    def _number(self) -> int:
        token = self.take()
        if token.kind != "num" or "." in token.text or token.text.startswith("-"):
            raise syntax_error(token.text, self.clause)
        return int(token.text)
