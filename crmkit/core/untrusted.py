"""What every reader of untrusted input refuses: text no database stores, JSON nested too deeply.

Parsing, validating and serialising JSON recurse once per level of nesting, so
a small document nested a thousand levels deep exhausts Python's stack wherever
it goes next (``RecursionError``, a 500). Bodies are therefore measured before
``json.loads`` sees them (:func:`check_nesting`), and values kept as JSON (custom
fields) before they are stored (:func:`check_json_value`), so that nothing is
accepted that cannot be read back. The checks loop; none of them recurses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from crmkit.core.errors import ValidationError

MAX_DEPTH = 32
"""How deeply the arrays and objects of a request body may nest."""
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKETS = str.maketrans("[{]}", "(())")


def check_storable_text(field: str, text: str) -> None:
    """Refuse, naming ``field``, text a database cannot store: NUL characters, unpaired surrogates."""
    # PostgreSQL rejects NUL in text, and no driver encodes a lone surrogate: refused
    # here, the write would fail in the INSERT instead.
    if "\x00" in text:
        raise ValidationError(field, "text may not contain NUL characters")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValidationError(field, "text contains an unpaired surrogate") from None


def check_nesting(text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse (ValueError) JSON text whose arrays and objects nest deeper than ``limit``, unparsed.

    Text that is merely broken passes when parsing it stays shallow, so that the
    parser's own message can say where it breaks.
    """
    # Linear in the text: strings go first (brackets in them do not nest), then each
    # pass removes every innermost pair at once, so ``limit`` passes empty a text no deeper.
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return
        brackets = brackets.replace("()", "")
    if "()" in brackets:
        raise ValueError(f"arrays and objects nest deeper than {limit} levels")
    # What is left never closes: a parser would go that much deeper before failing.
    if len(brackets) > limit:
        raise ValueError(f"more than {limit} brackets that do not pair up")


def check_json_value(field: str, value: Any, *, max_depth: int, max_chars: int) -> None:
    """Refuse, naming ``field``, a value nesting deeper than ``max_depth``, longer than
    ``max_chars`` as JSON, or holding text :func:`check_storable_text` refuses."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while pending:
        item, depth = pending.pop()
        seen += 1
        if seen > max_chars:  # every value takes at least one character
            raise ValidationError(field, f"longer than {max_chars} characters as JSON")
        if isinstance(item, str):
            check_storable_text(field, item)
        elif isinstance(item, Mapping | list | tuple):
            if depth == max_depth:
                raise ValidationError(field, f"nests deeper than {max_depth} levels")
            if isinstance(item, Mapping):
                pending.extend((key, depth) for key in item)
                item = item.values()
            pending.extend((child, depth + 1) for child in item)
    # Shallow by now, so encoding it cannot run out of stack.
    if len(json.dumps(value, ensure_ascii=False, default=str)) > max_chars:
        raise ValidationError(field, f"longer than {max_chars} characters as JSON")
