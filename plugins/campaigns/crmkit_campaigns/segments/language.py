"""The segment filter language: a JSON definition, checked and compiled to one SQL condition.

A definition is a tree of ``{"all": [...]}``, ``{"any": [...]}`` and ``{"not": {...}}`` nodes
whose leaves are criteria ``{"criterion": ..., "op": ..., "value": ..., "with": {...}}``
(see docs/segments.md). Compiling reads no party: it yields a condition on the kernel's
party table, whose criteria are EXISTS/IN subqueries, so that a segment is one statement.
Every problem is a ValidationError naming the JSON path of the bad part
(``definition.all[2].value``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from attrs import define, frozen
from sqlalchemy import ColumnElement, and_, not_, or_, true

from crmkit import MAX_ID, Transaction, ValidationError, check_storable_text, utcnow
from crmkit_campaigns.segments.settings import SegmentSettings

NODES = ("all", "any", "not")
LEAF_KEYS = ("criterion", "op", "value", "with")


@frozen
class Leaf:
    """One criterion of a definition, as written, with where it stands."""

    criterion: str
    op: str | None
    value: Any
    options: Mapping[str, Any]
    path: str

    def problem(self, part: str, message: str) -> ValidationError:
        """A refusal naming ``part`` of this criterion (``value``, ``op``, ``with.days``)."""
        return ValidationError(f"{self.path}.{part}", message)


Build = Callable[["Compilation", Leaf], ColumnElement[bool]]


@frozen
class Builtin:
    """A criterion this part knows, described for the segment form."""

    name: str
    label: str
    operators: tuple[str, ...]
    value: str
    """What the value is, for the form: ``text``, ``texts``, ``number``, ``date``, ``days``,
    ``ids``, ``none`` or ``choice:a|b``."""
    options: Mapping[str, str]
    """The options (``with``) and their kinds, as :class:`~crmkit_campaigns.extensions.Criterion`
    describes its parameters."""
    build: Build


@define
class Compilation:
    """The state of compiling one definition: its budget and the saved segments it is inside."""

    tx: Transaction
    now: datetime
    settings: SegmentSettings
    resolve: Build
    """Compiles a leaf: the built-in criteria, custom fields, plugin criteria and references."""
    conditions: int = 0
    depth: int = 0
    """How deep the leaf being compiled stands, for the saved segments it refers to."""
    inside_segments: tuple[int, ...] = ()

    def node(self, value: Any, path: str, depth: int = 1) -> ColumnElement[bool]:
        """The condition of the definition part ``value`` found at ``path``, ``depth`` levels of
        ``all``/``any``/``not`` down (the root's level is 1)."""
        if not isinstance(value, Mapping):
            raise ValidationError(path, "expected an object: a criterion, or all, any or not")
        self.conditions += 1
        if self.conditions > self.settings.max_conditions:
            raise ValidationError(path, f"more than {self.settings.max_conditions} conditions")
        nodes = [key for key in NODES if key in value]
        if nodes:
            limit = self.settings.max_depth
            if depth > limit:
                raise ValidationError(path, f"all, any and not nest deeper than {limit} levels")
            return self._boolean(value, nodes, path, depth)
        self.depth = depth
        return self.resolve(self, read_leaf(value, path))

    def _boolean(
        self, value: Mapping[str, Any], nodes: list[str], path: str, depth: int
    ) -> ColumnElement[bool]:
        if len(nodes) > 1:
            raise ValidationError(path, "all, any and not each stand alone in their object")
        key = nodes[0]
        for other in value:
            if other != key:
                raise ValidationError(f"{path}.{other}", f"unknown key beside {key}")
        inner, here = value[key], f"{path}.{key}"
        if key == "not":
            return not_(self.node(inner, here, depth + 1))
        if not isinstance(inner, list):
            raise ValidationError(here, "expected a list of conditions")
        if key == "any" and not inner:
            raise ValidationError(here, "needs at least one condition")
        parts = [self.node(item, f"{here}[{i}]", depth + 1) for i, item in enumerate(inner)]
        return and_(true(), *parts) if key == "all" else or_(*parts)


def read_leaf(value: Mapping[str, Any], path: str) -> Leaf:
    """The criterion object at ``path``, its keys checked."""
    for key in value:
        if key not in LEAF_KEYS:
            raise ValidationError(
                f"{path}.{key}", "unknown key: a criterion has criterion, op, value and with"
            )
    criterion = value.get("criterion")
    if not isinstance(criterion, str) or not criterion:
        raise ValidationError(f"{path}.criterion", "expected the name of a criterion")
    op = value.get("op")
    if op is not None and not isinstance(op, str):
        raise ValidationError(f"{path}.op", "expected the name of an operator")
    options = value.get("with", {})
    if not isinstance(options, Mapping):
        raise ValidationError(f"{path}.with", "expected an object of the criterion's options")
    return Leaf(criterion, op, value.get("value"), options, path)


def compile_definition(
    tx: Transaction,
    definition: Any,
    resolve: Build,
    *,
    path: str = "definition",
    segment_id: int | None = None,
) -> ColumnElement[bool]:
    """The condition on the party table that ``definition`` stands for (the definition of saved
    segment ``segment_id``, when given, which it may then not refer to)."""
    check_values(definition, path)
    settings: SegmentSettings = tx.app.settings_of["campaigns"].segments
    inside = () if segment_id is None else (segment_id,)
    compilation = Compilation(
        tx=tx, now=utcnow(), settings=settings, resolve=resolve, inside_segments=inside
    )
    return compilation.node(definition, path)


def check_values(definition: Any, path: str) -> None:
    """Refuse, naming ``path``, a definition holding what no database stores or JSON does not
    carry exactly: NUL or unpaired surrogates in a text, integers beyond MAX_ID, floats that
    are not finite. Loops (no recursion), so any depth is measured safely."""
    pending = [definition]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            check_storable_text(path, item)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int) and abs(item) > MAX_ID:
            raise ValidationError(path, f"integers beyond {MAX_ID} are not accepted")
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValidationError(path, f"{item} is not a number JSON allows")
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
