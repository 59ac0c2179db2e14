"""Holding a JSON body to the sizes its operation declares, before any service reads it.

The request body class of an operation (``@operation(request=...)``) states in
the OpenAPI document how long each text may be (``maxLength``), how many items
a list may have (``maxItems``) and how many fields an object (``maxProperties``).
:func:`check_declared_sizes` refuses a body beyond them, naming the field
(``stages``, ``addresses[0].city``), so the document and the server cannot
disagree and no service spends its time on a body it would never take. Other
keywords (types, patterns, bounds) are left to the services, which name the
field as precisely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from starlette.types import Scope

from crmkit.core.errors import ValidationError

OPERATION = "crmkit_operation"
"""The attribute of an endpoint holding the operation it declares."""
JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int, its base class
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
    (type(None), "null"),
)


class Declared(Protocol):
    """What this module needs of an operation (:class:`crmkit.web.openapi.Operation`)."""

    def request_schema(self) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None: ...


def check_declared_sizes(scope: Scope, data: Any) -> None:
    """Refuse ``data``, the body of the request of ``scope``, beyond the sizes its operation declares."""
    declared: Declared | None = getattr(scope.get("endpoint"), OPERATION, None)
    found = declared.request_schema() if declared is not None else None
    if found is not None:
        schema, schemas = found
        check_sizes(data, schema, schemas)


def check_sizes(
    data: Any, schema: Mapping[str, Any], schemas: Mapping[str, Any], where: str = ""
) -> None:
    """Refuse ``data`` beyond the size keywords of ``schema`` (its ``$ref`` resolved in ``schemas``)."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    for option in schema.get("anyOf", ()):
        if _admits(option, data, schemas):
            check_sizes(data, option, schemas, where)
    if isinstance(data, str):
        limit = schema.get("maxLength")
        if limit is not None and len(data) > limit:
            raise ValidationError(where or "body", f"longer than {limit} characters")
    elif isinstance(data, list):
        limit = schema.get("maxItems")
        if limit is not None and len(data) > limit:
            raise ValidationError(where or "body", f"more than {limit} items")
        items = schema.get("items")
        if items is not None:
            for i, item in enumerate(data):
                check_sizes(item, items, schemas, f"{where}[{i}]")
    elif isinstance(data, dict):
        limit = schema.get("maxProperties")
        if limit is not None and len(data) > limit:
            raise ValidationError(where or "body", f"more than {limit} fields")
        for name, inner in schema.get("properties", {}).items():
            if name in data:
                check_sizes(data[name], inner, schemas, f"{where}.{name}" if where else name)


def _admits(schema: Mapping[str, Any], data: Any, schemas: Mapping[str, Any]) -> bool:
    """Whether ``data`` is of a JSON type ``schema`` allows (any, if it names none)."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    allowed = schema.get("type")
    if allowed is None:
        return True
    kind = next(name for cls, name in JSON_TYPES if isinstance(data, cls))
    names = {allowed} if isinstance(allowed, str) else set(allowed)
    return kind in names or (kind == "integer" and "number" in names)
