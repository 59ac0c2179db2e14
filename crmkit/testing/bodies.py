"""Checking an OpenAPI document for request bodies that take texts or lists of any size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BOUNDED_TEXT = frozenset({"maxLength", "enum", "const", "format"})
"""Keywords that bound a text: a length, a choice, or a format such as a date."""


def unbounded_inputs(spec: Mapping[str, Any], prefix: str = "/") -> list[str]:
    """Where a JSON request body of a path under ``prefix`` takes a text without ``maxLength``
    or a list without ``maxItems`` (``POST /p/visits.tags[]``); every other limit is the body's own."""
    schemas = spec["components"]["schemas"]
    found: list[str] = []

    def walk(schema: Mapping[str, Any], where: str, seen: frozenset[str]) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:  # a schema may contain itself
                walk(schemas[name], where, seen | {name})
            return
        for option in schema.get("anyOf", ()):
            walk(option, where, seen)
        kinds = schema.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if "string" in kinds and not BOUNDED_TEXT & set(schema):
            found.append(where)
        if "array" in kinds:
            if "maxItems" not in schema:
                found.append(where)
            walk(schema.get("items", {}), f"{where}[]", seen)
        for name, inner in schema.get("properties", {}).items():
            walk(inner, f"{where}.{name}", seen)

    for path, methods in spec["paths"].items():
        for method, item in methods.items():
            body = item.get("requestBody", {}).get("content", {}).get("application/json")
            if path.startswith(prefix) and body is not None:
                walk(body["schema"], f"{method.upper()} {path}", frozenset())
    return found
