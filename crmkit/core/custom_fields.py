"""Custom fields: typed extra attributes that plugins declare on kernel entities.

Values live in the entity's ``custom`` JSON column (JSONB on PostgreSQL), are
validated on every write and can be filtered on in list queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from attrs import field, frozen
from sqlalchemy import BigInteger, ColumnElement, Table, cast

from crmkit.core.errors import PluginError, ValidationError
from crmkit.core.inputs import MAX_ID, read_date, read_timestamp
from crmkit.core.untrusted import check_json_value

FieldType = Literal["text", "integer", "decimal", "boolean", "date", "datetime", "choice"]
FIELD_TYPES: tuple[str, ...] = (
    "text",
    "integer",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "choice",
)
ENTITY_TYPES: tuple[str, ...] = ("prospect", "customer", "interaction")
OPERATORS: tuple[str, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "in", "contains")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CUSTOM_MAX_KEYS = 50
"""The most fields a ``custom`` object may have."""
CUSTOM_MAX_NAME = 100
"""The longest name of a field of a ``custom`` object."""
CUSTOM_MAX_DEPTH = 8
"""How deeply a custom value's arrays and objects may nest."""
CUSTOM_MAX_CHARS = 10_000
"""The longest a custom value may be, written as JSON."""


@frozen
class CustomField:
    """A typed field a plugin adds to ``entity`` ("prospect", "customer" or "interaction").

    Fields declared on "prospect" carry over when the prospect becomes a customer
    when the same name is declared on "customer" too.
    """

    entity: str
    name: str
    type: FieldType
    label: str | None = None
    required: bool = False
    choices: tuple[str, ...] = field(default=(), converter=tuple)
    max_length: int | None = None


def _to_text(spec: CustomField, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(spec.name, f"expected text, got {type(value).__name__}")
    if spec.max_length is not None and len(value) > spec.max_length:
        raise ValidationError(spec.name, f"longer than {spec.max_length} characters")
    return value


def _to_integer(spec: CustomField, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(spec.name, f"expected an integer, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ValidationError(spec.name, f"expected an integer, got {value!r}") from None
    # What JSON carries exactly, and what a filter's BIGINT comparison holds.
    if not -MAX_ID <= number <= MAX_ID:
        raise ValidationError(spec.name, f"expected an integer from {-MAX_ID} to {MAX_ID}")
    return number


def _to_decimal(spec: CustomField, value: Any) -> str:
    if isinstance(value, bool | float) or not isinstance(value, int | str | Decimal):
        raise ValidationError(spec.name, f"expected a decimal number (as a string), got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValidationError(spec.name, f"expected a decimal number, got {value!r}") from None
    if not number.is_finite():
        raise ValidationError(spec.name, f"expected a finite number, got {value!r}")
    return str(number)


def _to_boolean(spec: CustomField, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    raise ValidationError(spec.name, f"expected true or false, got {value!r}")


def _to_date(spec: CustomField, value: Any) -> str:
    if isinstance(value, datetime):
        raise ValidationError(spec.name, "expected a date, got a date and time")
    return read_date(spec.name, value).isoformat()


def _to_datetime(spec: CustomField, value: Any) -> str:
    # Stored in UTC so that the text comparisons of list filters order moments correctly.
    return read_timestamp(spec.name, value).isoformat()


def _to_choice(spec: CustomField, value: Any) -> str:
    if value not in spec.choices:
        raise ValidationError(spec.name, f"{value!r} is not one of {', '.join(spec.choices)}")
    return str(value)


_CONVERT = {
    "text": _to_text,
    "integer": _to_integer,
    "decimal": _to_decimal,
    "boolean": _to_boolean,
    "date": _to_date,
    "datetime": _to_datetime,
    "choice": _to_choice,
}


def _check_value(name: str, value: Any) -> None:
    # Before anything else reads the value: it must never hold what cannot be read back.
    check_json_value(
        f"custom.{name}", value, max_depth=CUSTOM_MAX_DEPTH, max_chars=CUSTOM_MAX_CHARS
    )


def check_custom(values: Any) -> dict[str, Any]:
    """A free-form ``custom`` object a plugin keeps as it is, within the limits of every custom value.

    At most :data:`CUSTOM_MAX_KEYS` names of at most :data:`CUSTOM_MAX_NAME`
    characters; each value nests at most :data:`CUSTOM_MAX_DEPTH` levels and takes
    at most :data:`CUSTOM_MAX_CHARS` characters as JSON, and holds no text a
    database cannot store. A ValidationError names ``custom`` or ``custom.<name>``.
    """
    if not isinstance(values, Mapping):
        raise ValidationError("custom", "expected an object")
    if len(values) > CUSTOM_MAX_KEYS:
        raise ValidationError("custom", f"more than {CUSTOM_MAX_KEYS} fields")
    for name, value in values.items():
        if not isinstance(name, str) or len(name) > CUSTOM_MAX_NAME:
            raise ValidationError(
                "custom", f"a field name is text of at most {CUSTOM_MAX_NAME} characters"
            )
        _check_value(name, value)
    return dict(values)


class CustomFields:
    """The custom fields of one application, by entity type and name."""

    def __init__(self, declared: Iterable[tuple[str, CustomField]]) -> None:
        self._fields: dict[str, dict[str, CustomField]] = {e: {} for e in ENTITY_TYPES}
        for plugin, spec in declared:
            where = f"custom field {spec.name!r}"
            if spec.entity not in ENTITY_TYPES:
                raise PluginError(plugin, f"{where}: unknown entity {spec.entity!r}")
            if spec.type not in FIELD_TYPES:
                raise PluginError(plugin, f"{where}: unknown type {spec.type!r}")
            if not _NAME.match(spec.name) or not spec.name.startswith(f"{plugin}_"):
                raise PluginError(plugin, f"{where}: must be named {plugin}_[a-z0-9_]*")
            if spec.type == "choice" and not spec.choices:
                raise PluginError(plugin, f"{where}: a choice field needs choices")
            if spec.name in self._fields[spec.entity]:
                raise PluginError(plugin, f"{where}: declared twice on {spec.entity}")
            self._fields[spec.entity][spec.name] = spec

    def of(self, entity_type: str) -> Mapping[str, CustomField]:
        return self._fields.get(entity_type, {})

    def validate(
        self, entity_type: str, values: Mapping[str, Any], *, partial: bool = False
    ) -> dict[str, Any]:
        """Check and convert ``values`` to their stored (JSON) form; raise naming the field."""
        specs = self.of(entity_type)
        stored: dict[str, Any] = {}
        for name, value in values.items():
            spec = specs.get(name)
            if spec is None:
                raise ValidationError(
                    f"custom.{name}", f"no custom field {name!r} on {entity_type}"
                )
            _check_value(name, value)
            if value is None:
                if spec.required:
                    raise ValidationError(f"custom.{name}", "is required")
                continue
            try:
                stored[name] = _CONVERT[spec.type](spec, value)
            except ValidationError as exc:
                raise ValidationError(f"custom.{name}", exc.reason) from None
        if not partial:
            for name, spec in specs.items():
                if spec.required and name not in stored:
                    raise ValidationError(f"custom.{name}", "is required")
        return stored

    def condition(
        self, entity_type: str, table: Table, name: str, op: str, value: Any
    ) -> ColumnElement[bool]:
        """A WHERE condition on custom field ``name`` of ``table`` (``op`` one of OPERATORS)."""
        spec = self.of(entity_type).get(name)
        if spec is None:
            raise ValidationError(f"custom.{name}", f"no custom field {name!r} on {entity_type}")
        if op not in OPERATORS:
            raise ValidationError(f"custom.{name}", f"unknown operator {op!r}")
        element = table.c.custom[name]
        column: Any
        if spec.type == "integer":
            # BIGINT: as_integer() casts to INTEGER, which PostgreSQL overflows beyond 2**31.
            column = cast(element.as_string(), BigInteger)
        elif spec.type == "boolean":
            column = element.as_boolean()
        else:
            column = element.as_string()
        if op == "in":
            items = value if isinstance(value, list | tuple) else str(value).split(",")
            return column.in_([self._literal(spec, v) for v in items])
        if op == "contains":
            if spec.type != "text":
                raise ValidationError(f"custom.{name}", "contains works on text fields only")
            return column.contains(str(value), autoescape=True)
        if spec.type == "decimal" and op not in ("eq", "ne"):
            raise ValidationError(f"custom.{name}", "decimal fields compare with eq and ne only")
        literal = self._literal(spec, value)
        compare = {
            "eq": column.__eq__,
            "ne": column.__ne__,
            "lt": column.__lt__,
            "le": column.__le__,
            "gt": column.__gt__,
            "ge": column.__ge__,
        }[op]
        return compare(literal)

    @staticmethod
    def _literal(spec: CustomField, value: Any) -> Any:
        try:
            if spec.type == "integer" and isinstance(value, str):
                return _to_integer(spec, value.strip())
            return _CONVERT[spec.type](spec, value)
        except ValidationError as exc:
            raise ValidationError(f"custom.{spec.name}", exc.reason) from None
