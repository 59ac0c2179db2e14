"""Hostile inputs: Hypothesis strategies for the values that broke parsers, and where to put them.

Each kind draws raw text, never a Python value, so that what no encoder writes
(400 nines as a number, ``1e999999``, a lone surrogate escape) reaches the
server as a client could send it: JSON text for bodies, percent-encoded text for
URLs and forms (a lone surrogate is its WTF-8 bytes, ``%ED%A0%80``), printable
ASCII for headers. :func:`slots` lists every parameter an operation of the OpenAPI
document takes, so every kind goes into every one of them without naming a route.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from itertools import pairwise
from typing import Any
from urllib.parse import quote, unquote

from attrs import field, frozen
from hypothesis import strategies as st

DEPTH = st.integers(min_value=900, max_value=1_100)
COLLECTION = 100_000
WORDS = 3_000


@frozen
class Kind:
    """A family of hostile values: as JSON text, as URL text, and whether a header can carry it."""

    name: str
    json: st.SearchStrategy[str]
    url: st.SearchStrategy[str] | None
    """None: no client sends it in a URL (100k items are beyond any URL length limit)."""
    header: bool = True
    collections_only: bool = False
    """Only where the schema takes a list or an object: a scalar refuses any list alike."""


def _string(text: str) -> str:
    """``text`` as a JSON string, with escapes kept as written (``\\ud800`` stays an escape)."""
    return f'"{text}"'


def _encoded(text: str) -> str:
    return quote(text, safe="")


def _deep_json(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


DEEP_JSON = st.builds(_deep_json, DEPTH, st.sampled_from(["array", "object"]))

HUGE_NUMBERS = st.sampled_from(
    [
        "9" * 400,
        "-" + "9" * 400,
        "1e999999",
        "-1e999999",
        "1E400",
        "9" * 400 + ".5",
        "0." + "0" * 400 + "1",
    ]
)

SURROGATES = st.sampled_from(["\\ud800", "a\\udfffb", "\\udc00\\ud800", "x" * 10 + "\\udbff"])
SURROGATES_URL = st.sampled_from(["%ED%A0%80", "a%ED%BF%BFb", "%ED%B0%80%ED%A0%80"])

NULS = st.sampled_from(["\\u0000", "a\\u0000b", "\\u0000" * 3])
NULS_URL = st.sampled_from(["%00", "a%00b"])

TIMESTAMPS = st.sampled_from(
    [
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59.999999-23:59",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31",
        "0001-01-01",
        "0000-01-01T00:00:00Z",
    ]
)

PERIODS = st.sampled_from(["0000", "0000-Q1", "0000-01", "9999-Q4", "9999-12", "9999", "0001-Q1"])

IDS_OUT_OF_RANGE = st.sampled_from([10**20, 2**63, 2**53, 0, -1, 1e308, True, "1"])
KEYS_OUT_OF_RANGE = st.sampled_from(
    [
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31",
        "x" * 1_000,
        "\ud800",
        "a\x00b",
        None,
        10**20,
        [],
        {},
    ]
)


def _cursor(values: list[Any]) -> str:
    raw = json.dumps(values, ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# What a server's cursors hold (an id; a sort key and an id), each value out of range,
# and cursors of no such shape.
FORGED_CURSORS = st.one_of(
    st.tuples(IDS_OUT_OF_RANGE).map(list).map(_cursor),
    st.tuples(KEYS_OUT_OF_RANGE, IDS_OUT_OF_RANGE).map(list).map(_cursor),
    st.lists(st.one_of(KEYS_OUT_OF_RANGE, IDS_OUT_OF_RANGE), max_size=4).map(_cursor),
    st.just(base64.urlsafe_b64encode(b"[" * 1_000 + b"]" * 1_000).decode().rstrip("=")),
    st.just(base64.urlsafe_b64encode(b"\xff\xfe not json").decode()),
)

# Short words: 3,000 of them still fit the 64 KiB URL a client sends.
SEARCH_TERMS = st.sampled_from(["word", "Müller", "a", "ab*"]).map(
    lambda word: " ".join([word] * WORDS)
)
SEARCH_TERMS_DISTINCT = st.just(" ".join(f"w{i}" for i in range(WORDS)))


def _collection(item: str) -> str:
    return "[" + ",".join([item] * COLLECTION) + "]"


COLLECTIONS = st.sampled_from(['"a"', "1", "null", "{}", "[]"]).map(_collection)


def _text_kind(name: str, values: st.SearchStrategy[str]) -> Kind:
    """Plain text: a JSON string, and percent-encoded in a URL."""
    return Kind(name, values.map(lambda v: json.dumps(v)), values.map(_encoded))


KINDS: tuple[Kind, ...] = (
    Kind("JSON nested ~1,000 deep", DEEP_JSON, DEEP_JSON.map(_encoded)),
    Kind("huge number", HUGE_NUMBERS, HUGE_NUMBERS.map(_encoded)),
    Kind("lone surrogate", SURROGATES.map(_string), SURROGATES_URL, header=False),
    Kind("NUL character", NULS.map(_string), NULS_URL, header=False),
    _text_kind("timestamp at datetime's limits", TIMESTAMPS),
    _text_kind("period at the calendar's limits", PERIODS),
    _text_kind("forged cursor", FORGED_CURSORS),
    _text_kind("3,000-word search term", st.one_of(SEARCH_TERMS, SEARCH_TERMS_DISTINCT)),
    Kind("100k-item collection", COLLECTIONS, None, header=False, collections_only=True),
)


@frozen
class Slot:
    """Where an operation takes input: ``path``, ``query``, ``header``, ``body`` (a JSON pointer) or ``form``."""

    location: str
    name: str
    collection: bool = field(default=False, eq=False)
    """Whether the schema takes a list or an object there."""

    def __str__(self) -> str:
        return f"{self.location} {self.name}" if self.name else self.location


def slots(operation: Mapping[str, Any], schemas: Mapping[str, Any]) -> Iterator[Slot]:
    """Every parameter of an OpenAPI operation, and every field of its JSON or form body.

    Body fields are the properties of the body, and those of its objects and of
    the items of its lists of objects (``/lines/0/quantity``); ``body`` with an
    empty name is the whole body.
    """
    for parameter in operation.get("parameters", []):
        yield Slot(parameter["in"], parameter["name"])
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        yield Slot("body", "", collection=True)
        yield from _fields(content["application/json"]["schema"], schemas, "", depth=2)
    for media_type, body in content.items():
        if media_type == "application/x-www-form-urlencoded":
            for name in _properties(body["schema"], schemas):
                yield Slot("form", name)


def _fields(
    schema: Mapping[str, Any], schemas: Mapping[str, Any], prefix: str, depth: int
) -> Iterator[Slot]:
    for name, inner in _properties(schema, schemas).items():
        pointer = f"{prefix}/{name}"
        options = inner.get("anyOf", [inner])
        yield Slot("body", pointer, collection=any(_is_collection(o) for o in options))
        if depth > 1:
            for option in options:
                if option.get("type") == "array" or "array" in option.get("type", []):
                    yield from _fields(option.get("items", {}), schemas, f"{pointer}/0", depth - 1)
                elif "$ref" in option:
                    yield from _fields(option, schemas, pointer, depth - 1)


def _is_collection(schema: Mapping[str, Any]) -> bool:
    types = schema.get("type", [])
    kinds = {types} if isinstance(types, str) else set(types)
    return "$ref" in schema or bool(kinds & {"array", "object"})


def _properties(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    return dict(schema.get("properties", {}))


def values_for(slot: Slot, kind: Kind) -> st.SearchStrategy[str] | None:
    """The strategy of ``kind`` for ``slot``: JSON text for bodies, URL text elsewhere; None if unsendable."""
    if kind.collections_only and not slot.collection:
        return None
    if slot.location == "body":
        return kind.json
    if kind.url is None or (slot.location == "header" and not kind.header):
        return None
    if slot.location == "header":
        # Header values are printable ASCII: clients refuse anything else before sending.
        return kind.url.map(unquote).filter(_sendable_header)
    return kind.url


def _sendable_header(text: str) -> bool:
    return text.isascii() and text.isprintable() and len(text) <= 16_000


SENTINEL = "hostile-8d5f0c7e-value"


def with_body_value(body: Any, pointer: str, raw: str) -> bytes:
    """``body`` as JSON text with the raw JSON text ``raw`` at ``pointer`` (the whole body when empty)."""
    if not pointer:
        return raw.encode()
    document = json.loads(json.dumps(body)) if isinstance(body, dict) else {}
    parts = pointer.strip("/").split("/")
    parent = document
    for part, following in pairwise(parts):
        parent = _child(parent, part, list if following.isdigit() else dict)
    last = parts[-1]
    if isinstance(parent, list):
        parent.append(SENTINEL)
    else:
        parent[last] = SENTINEL
    return json.dumps(document).replace(json.dumps(SENTINEL), raw, 1).encode()


def _child(parent: Any, part: str, make: Callable[[], Any]) -> Any:
    if isinstance(parent, list):
        if not parent or not isinstance(parent[0], dict | list):
            parent[:] = [make()]
        return parent[0]
    if not isinstance(parent.get(part), dict | list):
        parent[part] = make()
    child = parent[part]
    if isinstance(child, list) and not child:
        child.append({})
    return child


def sent_json(raw: bytes) -> Any:
    """The body sent, parsed as the server would if it accepted it (None when it is not JSON)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None
