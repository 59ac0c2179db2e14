"""The vCard text format (RFC 6350 for 4.0, RFC 2426 for 3.0, and 2.1's encodings): cards in, cards out.

Reading is lenient where producers differ and strict where guessing would
change data: folded lines (CRLF or LF, then a space or tab), property groups
(``home.tel``), bare 2.1/3.0 type parameters (``TEL;HOME``), quoted parameter
values with RFC 6868 caret escapes, ``ENCODING=QUOTED-PRINTABLE`` (soft line
breaks and ``CHARSET``) and ``ENCODING=b``/``BASE64`` are all understood. A card
that cannot be read is reported with its number and why; the cards after it are
still read.

Writing folds lines at 75 octets without splitting a character and ends them
with CRLF, as both RFCs require.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from collections.abc import Iterable, Iterator, Sequence

from attrs import frozen

VERSIONS = ("3.0", "4.0")
"""The versions crmkit writes; it reads 2.1 as well."""

_NAME = re.compile(r"^(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)$")
_QUOTED_PRINTABLE = re.compile(r";\s*(?:ENCODING\s*=\s*)?QUOTED-PRINTABLE\s*[;:]", re.IGNORECASE)
_CARET = {"n": "\n", "N": "\n", "^": "^", "'": '"'}
_UNESCAPE = {"n": "\n", "N": "\n"}
FOLD_OCTETS = 75


class CardSyntaxError(ValueError):
    """A content line that is not ``[group.]name[;param...]:value``, or a value that cannot be decoded."""


@frozen
class Property:
    """One content line, unfolded; ``value`` is still escaped, but no longer transfer-encoded."""

    name: str
    """Upper case, without its group."""
    params: dict[str, tuple[str, ...]]
    """Parameter names in upper case; a bare 2.1/3.0 value (``TEL;HOME``) is a TYPE."""
    value: str
    group: str | None = None

    @property
    def types(self) -> frozenset[str]:
        """The TYPE values in lower case (``TYPE="work,voice"`` counts as two)."""
        return frozenset(
            item.strip().lower()
            for value in self.params.get("TYPE", ())
            for item in value.split(",")
        ) - {""}

    @property
    def preference(self) -> int:
        """1 is most preferred (``PREF=1`` in 4.0, ``TYPE=pref`` in 3.0); 100 when not said."""
        pref = self.params.get("PREF", ("",))[0]
        if pref.isdigit():
            return int(pref)
        return 1 if "pref" in self.types else 100

    def text(self) -> str:
        """The value as text, with ``\\n``, ``\\,``, ``\\;`` and ``\\\\`` unescaped."""
        return _unescape(self.value)

    def components(self) -> list[list[str]]:
        """A structured value (N, ADR, ORG): its ``;`` components, each a list of ``,`` values."""
        return [[_unescape(v) for v in _split(part, ",")] for part in _split(self.value, ";")]


@frozen
class Card:
    """One BEGIN:VCARD ... END:VCARD; ``number`` counts cards from 1, ``line`` is where it begins."""

    number: int
    line: int
    version: str
    properties: tuple[Property, ...]

    def all(self, name: str) -> list[Property]:
        """The properties called ``name``, most preferred first (file order among equals)."""
        found = [p for p in self.properties if p.name == name]
        return sorted(found, key=lambda p: p.preference)

    def first(self, name: str) -> Property | None:
        found = self.all(name)
        return found[0] if found else None


@frozen
class CardError:
    """A card that could not be read: its number, the line it begins on, and why."""

    number: int
    line: int
    reason: str


def read_cards(lines: Iterable[str]) -> Iterator[Card | CardError]:
    """Every card of a file's lines (with or without their line ends), in order.

    Text outside cards is ignored. Give a file opened with ``newline=""`` (or
    ``io.StringIO(text, newline="")``), so that CR, LF and CRLF all end lines.
    """
    number = 0
    card_lines: list[tuple[int, str]] | None = None
    start = 0
    for line_number, line in _logical_lines(lines):
        word = line.split(":", 1)
        name = word[0].rsplit(".", 1)[-1].strip().upper()
        value = word[1].strip().upper() if len(word) == 2 else ""
        if name == "BEGIN" and value == "VCARD":
            if card_lines is not None:
                yield CardError(number, start, "BEGIN:VCARD inside a card (END:VCARD missing)")
            number += 1
            card_lines, start = [], line_number
        elif name == "END" and value == "VCARD" and card_lines is not None:
            yield _card(number, start, card_lines)
            card_lines = None
        elif card_lines is not None and line.strip():
            card_lines.append((line_number, line))
    if card_lines is not None:
        yield CardError(number, start, "the file ends inside the card (END:VCARD missing)")


def _logical_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Unfolded lines with the number of the physical line each begins on."""
    current: str | None = None
    begins = 0
    for number, line in enumerate(lines, start=1):
        physical = line.rstrip("\r\n")
        if current is not None and physical[:1] in (" ", "\t"):
            current += physical[1:]
        elif current is not None and current.endswith("=") and _is_quoted_printable(current):
            current = current[:-1] + "=\r\n" + physical  # a soft line break, kept for quopri
        else:
            if current is not None:
                yield begins, current
            current, begins = physical, number
    if current is not None:
        yield begins, current


def _is_quoted_printable(line: str) -> bool:
    head = line.split(":", 1)[0] + ":"
    return bool(_QUOTED_PRINTABLE.search(head))


def _card(number: int, start: int, lines: list[tuple[int, str]]) -> Card | CardError:
    properties = []
    for line_number, line in lines:
        try:
            properties.append(parse_line(line))
        except CardSyntaxError as exc:
            return CardError(number, start, f"line {line_number}: {exc}")
    versions = [p.text().strip() for p in properties if p.name == "VERSION"]
    if len(versions) != 1:
        problem = "no VERSION" if not versions else "more than one VERSION"
        return CardError(number, start, problem)
    if versions[0] not in ("2.1", *VERSIONS):
        return CardError(number, start, f"VERSION {versions[0]} is not 2.1, 3.0 or 4.0")
    kept = tuple(p for p in properties if p.name != "VERSION")
    return Card(number, start, versions[0], kept)


def parse_line(line: str) -> Property:
    """One unfolded content line as a :class:`Property`."""
    head, value = _split_head(line)
    parts = _split(head, ";", quotes=True)
    match = _NAME.match(parts[0].strip())
    if match is None:
        raise CardSyntaxError(f"{parts[0]!r} is not a property name")
    params: dict[str, tuple[str, ...]] = {}
    for part in parts[1:]:
        key, equals, raw = part.partition("=")
        if not equals:  # 2.1/3.0: a bare type (TEL;HOME) or encoding (;QUOTED-PRINTABLE)
            key, raw = _bare_parameter(key.strip())
        values = tuple(_param_value(v) for v in _split(raw, ",", quotes=True))
        name = key.strip().upper()
        params[name] = params.get(name, ()) + values
    return Property(
        name=match.group(2).upper(),
        params=params,
        value=_decode(value, params),
        group=match.group(1),
    )


def _split_head(line: str) -> tuple[str, str]:
    """The name and parameters, and the value: split at the first ``:`` outside quotes."""
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:i], line[i + 1 :]
    raise CardSyntaxError("no ':' between the property name and its value")


def _bare_parameter(value: str) -> tuple[str, str]:
    upper = value.upper()
    if upper in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B"):
        return "ENCODING", value
    return "TYPE", value


def _param_value(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    return re.sub(r"\^([nN^'])", lambda m: _CARET[m.group(1)], raw)


def _decode(value: str, params: dict[str, tuple[str, ...]]) -> str:
    encoding = params.get("ENCODING", ("",))[0].upper()
    charset = params.get("CHARSET", ("utf-8",))[0]
    try:
        if encoding == "QUOTED-PRINTABLE":
            return quopri.decodestring(value.encode("latin-1", "strict")).decode(charset)
        if encoding in ("B", "BASE64"):
            return base64.b64decode("".join(value.split()), validate=True).decode(
                charset, "replace"
            )
    except (UnicodeError, LookupError, binascii.Error, ValueError) as exc:
        raise CardSyntaxError(f"the {encoding} value cannot be decoded: {exc}") from None
    return value


def _split(text: str, separator: str, *, quotes: bool = False) -> list[str]:
    """Split at ``separator`` except where a backslash escapes it (or, for parameters, quotes hold it)."""
    parts: list[str] = []
    current: list[str] = []
    escaped = quoted = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and not quotes:
            current.append(char)
            escaped = True
        elif char == '"' and quotes:
            current.append(char)
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), text, flags=re.DOTALL)


# --- Writing.


def escape(text: str) -> str:
    """A text value or component as vCard writes it: ``\\``, newlines, ``,`` and ``;`` escaped."""
    text = text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def structured(components: Sequence[str]) -> str:
    """A structured value (N, ADR) from its components, each escaped."""
    return ";".join(escape(c) for c in components)


def content_line(name: str, value: str, params: Sequence[tuple[str, str]] = ()) -> str:
    """One property, folded, with its CRLF; ``value`` is already escaped."""
    head = name + "".join(f";{key}={_quote(v)}" for key, v in params)
    return fold(f"{head}:{value}")


def _quote(value: str) -> str:
    # A comma separates values of one parameter (TYPE=WORK,VOICE), so it is not quoted.
    return f'"{value}"' if any(c in value for c in ";:") else value


def fold(line: str) -> str:
    """``line`` folded at 75 octets (never inside a UTF-8 sequence), with CRLF line ends."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > FOLD_OCTETS:
            pieces.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    pieces.append("".join(current))
    return "\r\n".join(pieces) + "\r\n"
