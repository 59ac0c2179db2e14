"""The part of OData V2 ``$filter`` the loopback server understands: comparisons of a
property with a literal (``eq ne gt ge lt le``), ``and``, ``or``, ``not`` and parentheses.
Literals: ``'text'``, ``datetime'2026-01-31T10:00:00'``, ``time'PT10H00M00S'``, whole
numbers, ``true``, ``false``, ``null``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time
from typing import Any

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))"
    r"|(?P<datetime>datetime'[^']*')|(?P<time>time'[^']*')|(?P<text>'(?:[^']|'')*')"
    r"|(?P<number>-?\d+)|(?P<word>[A-Za-z_][A-Za-z0-9_/]*))"
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_TIME = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


class FilterError(ValueError):
    """A ``$filter`` the server does not understand (it answers 400)."""


def parse_filter(text: str) -> tuple[Predicate, frozenset[str]]:
    """A predicate over a row and the properties the filter names."""
    tokens = _tokenize(text)
    parser = _Parser(tokens)
    predicate = parser.disjunction()
    if parser.position != len(tokens):
        raise FilterError(f"unexpected {tokens[parser.position][1]!r} in $filter")
    return predicate, frozenset(parser.properties)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text.rstrip()):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise FilterError(f"cannot read $filter at {text[position : position + 20]!r}")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


def literal(kind: str, token: str) -> Any:
    if kind == "text":
        return token[1:-1].replace("''", "'")
    if kind == "number":
        return int(token)
    if kind == "datetime":
        try:
            return datetime.fromisoformat(token[9:-1]).replace(tzinfo=UTC)
        except ValueError:
            raise FilterError(f"bad datetime literal {token}") from None
    if kind == "time":
        found = _TIME.match(token[5:-1])
        if found is None:
            raise FilterError(f"bad time literal {token}")
        hours, minutes, seconds = (int(part or 0) for part in found.groups())
        return time(hours, minutes, seconds)
    raise FilterError(f"not a literal: {token}")


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0
        self.properties: set[str] = set()

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token[0] == "end":
            raise FilterError("$filter ends too early")
        self.position += 1
        return token

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self._peek() == ("word", "or"):
            self._take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda row: any(part(row) for part in parts))

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self._peek() == ("word", "and"):
            self._take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda row: all(part(row) for part in parts))

    def unary(self) -> Predicate:
        kind, token = self._peek()
        if (kind, token) == ("word", "not"):
            self._take()
            inner = self.unary()
            return lambda row: not inner(row)
        if kind == "open":
            self._take()
            inner = self.disjunction()
            if self._take()[0] != "close":
                raise FilterError("missing ) in $filter")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        kind, name = self._take()
        if kind != "word" or name in _COMPARE or name in ("and", "or", "not"):
            raise FilterError(f"expected a property, found {name!r}")
        op_kind, op = self._take()
        if op_kind != "word" or op not in _COMPARE:
            raise FilterError(f"expected eq/ne/gt/ge/lt/le after {name}, found {op!r}")
        value_kind, token = self._take()
        value: Any
        if value_kind == "word" and token in ("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[token]
        else:
            value = literal(value_kind, token)
        self.properties.add(name)
        compare = _COMPARE[op]

        def test(row: Row) -> bool:
            found = row.get(name)
            if found is None or value is None:
                return compare(found, value) if op in ("eq", "ne") else False
            try:
                return compare(found, value)
            except TypeError:
                raise FilterError(f"{name} cannot be compared with {token}") from None

        return test
