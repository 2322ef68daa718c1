"""The QBO query language: SELECT * | COUNT(*) FROM Entity [WHERE a op v
[AND ...]] [ORDERBY f [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.qbo_sandbox import errors

Value = str | float | bool

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op><=|>=|<>|!=|=|<|>)
  | (?P<punct>[(),*])
    """,
    re.VERBOSE,
)
OPERATORS = ("=", "<", ">", "<=", ">=")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.lower() in words


@dataclass
class Condition:
    field: str
    op: str  # =, <, >, <=, >=, in, like
    values: list[Value]


@dataclass
class Query:
    entity: str
    count: bool = False
    projection: list[str] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, desc)
    start: int | None = None
    max_results: int | None = None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise errors.query_parse(
                "Invalid content. Lexical error at line 1, column "
                f'{position + 1}.  Encountered: "{text[position]}"'
            )
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("eof", "<EOF>", len(text) + 1))
    return tokens


def unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


class Parser:
    def __init__(self, text: str) -> None:
        if not text.strip():
            raise errors.query_parse("The query provided was empty")
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: Token, expected: str) -> errors.QboError:
        return errors.query_parse(
            f'Encountered " {token.kind.upper()} "{token.text} "" at line 1, '
            f"column {token.column}.\nWas expecting:\n    {expected} ..."
        )

    def expect_word(self, *words: str) -> Token:
        token = self.take()
        if not token.is_word(*words):
            raise self.fail(token, f'"{words[0]}"')
        return token

    def expect_punct(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise self.fail(token, f'"{text}"')

    def identifier(self) -> str:
        token = self.take()
        if token.kind != "ident":
            raise self.fail(token, "<IDENTIFIER>")
        return token.text

    def integer(self) -> int:
        token = self.take()
        if token.kind != "number" or "." in token.text:
            raise self.fail(token, "<INTEGER>")
        return int(token.text)

    def parse(self) -> Query:
        self.expect_word("select")
        query = Query(entity="")
        if self.peek().is_word("count"):
            self.take()
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            query.count = True
        else:
            self.projection(query)
        self.expect_word("from")
        query.entity = self.identifier()
        if self.peek().is_word("where"):
            self.take()
            query.conditions.append(self.condition())
            while self.peek().is_word("and"):
                self.take()
                query.conditions.append(self.condition())
        self.tail(query)
        if self.peek().kind != "eof":
            raise self.fail(self.peek(), "<EOF>")
        return query

    def projection(self, query: Query) -> None:
        if self.peek().text == "*":
            self.take()
        else:
            query.projection.append(self.identifier())
        while self.peek().text == ",":
            self.take()
            query.projection.append(self.identifier())

    def condition(self) -> Condition:
        name = self.identifier()
        token = self.take()
        if token.is_word("in"):
            self.expect_punct("(")
            values = [self.value()]
            while self.peek().text == ",":
                self.take()
                values.append(self.value())
            self.expect_punct(")")
            return Condition(name, "in", values)
        if token.is_word("like"):
            pattern = self.take()
            if pattern.kind != "string":
                raise self.fail(pattern, "<STRING>")
            return Condition(name, "like", [unquote(pattern.text)])
        if token.kind == "op" and token.text in OPERATORS:
            return Condition(name, token.text, [self.value()])
        raise self.fail(token, '"="')

    def value(self) -> Value:
        token = self.take()
        if token.kind == "string":
            return unquote(token.text)
        if token.kind == "number":
            return float(token.text)
        if token.is_word("true", "false"):
            return token.text.lower() == "true"
        raise self.fail(token, "<STRING>")

    def tail(self, query: Query) -> None:
        while True:
            token = self.peek()
            if token.is_word("orderby", "order"):
                self.take()
                if token.is_word("order"):
                    self.expect_word("by")
                query.order.append(self.order_item())
                while self.peek().text == ",":
                    self.take()
                    query.order.append(self.order_item())
            elif token.is_word("startposition") and query.start is None:
                self.take()
                query.start = self.integer()
            elif token.is_word("maxresults") and query.max_results is None:
                self.take()
                query.max_results = self.integer()
            else:
                return

    def order_item(self) -> tuple[str, bool]:
        name = self.identifier()
        desc = False
        if self.peek().is_word("asc", "desc"):
            desc = self.take().is_word("desc")
        return name, desc


def parse_query(text: str) -> Query:
    return Parser(text).parse()
