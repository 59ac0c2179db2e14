"""Every criterion a definition may use: built-in ones, custom fields, saved segments and
lists, and those plugins add through the ``campaigns_segment_criteria`` hook."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select

from crmkit import NotFound, Transaction, ValidationError, party_table
from crmkit_campaigns.segments import records, values
from crmkit_campaigns.segments.activity import ACTIVITY
from crmkit_campaigns.segments.fields import FIELDS
from crmkit_campaigns.segments.language import Builtin, Compilation, Leaf
from crmkit_campaigns.segments.tables import list_member

CUSTOM_PREFIX = "custom."
CUSTOM_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "contains")
"""The kernel's operators on custom fields."""
PARTY_ENTITIES = ("customer", "prospect")
PLUGIN_OPS = ("is", "is_not")


def segment_reference(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """``segment``: the parties of a saved segment, its definition compiled in place."""
    op = values.operator(leaf, ("in", "not_in"))
    segment_id = values.record_id(leaf)
    if segment_id in c.inside_segments:
        raise leaf.problem("value", f"segment {segment_id} refers to itself")
    try:
        row = records.segment_row(c.tx, segment_id)
    except NotFound:
        raise leaf.problem("value", f"segment {segment_id} does not exist") from None
    outer = c.inside_segments
    c.inside_segments = (*outer, segment_id)
    try:
        positive = c.node(row.definition, f"{leaf.path}.value", c.depth)
    except ValidationError as exc:
        raise leaf.problem("value", f"segment {segment_id} cannot be used: {exc}") from None
    finally:
        c.inside_segments = outer
    return positive if op == "in" else not_(positive)


def list_reference(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """``list``: the parties of a static (or suppression) list."""
    op = values.operator(leaf, ("in", "not_in"))
    list_id = values.record_id(leaf)
    try:
        records.list_row(c.tx, list_id)
    except NotFound:
        raise leaf.problem("value", f"list {list_id} does not exist") from None
    members = select(list_member.c.party_id).where(list_member.c.list_id == list_id)
    positive = party_table.c.id.in_(members)
    return positive if op == "in" else not_(positive)


REFERENCES = [
    Builtin("segment", "In saved segment", ("in", "not_in"), "ids", {}, segment_reference),
    Builtin("list", "On list", ("in", "not_in"), "ids", {}, list_reference),
]
BUILTINS: dict[str, Builtin] = {b.name: b for b in (*FIELDS, *ACTIVITY, *REFERENCES)}


def plugin_criteria(tx: Transaction) -> dict[str, Any]:
    """The criteria plugins contribute, by name."""
    found: dict[str, Any] = {}
    for contributed in tx.hooks.call("campaigns_segment_criteria"):
        for criterion in contributed:
            found[criterion.name] = criterion
    if "analytics" in tx.hooks.loaded:  # campaigns' own criteria on analytics' profiles
        from crmkit_campaigns.segments import analytics_profiles

        found.update((c.name, c) for c in analytics_profiles.criteria())
    return found


def custom_condition(c: Compilation, leaf: Leaf, name: str) -> ColumnElement[bool]:
    """``custom.<name>``: a custom field of customers and/or prospects, by its type."""
    op = values.operator(leaf, CUSTOM_OPS)
    fields = c.tx.app.custom_fields
    roles = [role for role in PARTY_ENTITIES if name in fields.of(role)]
    if not roles:
        raise leaf.problem("criterion", f"no custom field {name!r} on customers or prospects")
    value = values.items_of(leaf) if op == "in" else leaf.value
    # ``ne`` is NOT of ``eq``, as for every negative operator: a party without the field (or
    # whose role lacks it) is ``ne`` anything.
    positive_op = "eq" if op == "ne" else op
    try:
        compared = [
            and_(
                party_table.c.role == role,
                # A party without the field compares as false, so that NOT keeps it.
                func.coalesce(
                    fields.condition(role, party_table, name, positive_op, value), false()
                ),
            )
            for role in roles
        ]
    except ValidationError as exc:
        raise leaf.problem("value", exc.reason) from None
    return not_(or_(*compared)) if op == "ne" else or_(*compared)


def plugin_condition(leaf: Leaf, criterion: Any) -> ColumnElement[bool]:
    """A plugin's criterion; ``is_not`` negates it. Its parameters are the leaf's ``with``."""
    op = values.operator(leaf, PLUGIN_OPS)
    values.no_value(leaf, op)
    declared: Mapping[str, str] = criterion.parameters
    parameters = {
        name: values.parameter(leaf, name, declared[name], given)
        for name, given in values.options(leaf, declared).items()
    }
    try:
        positive = criterion.condition(parameters, party_table.c.id)
    except ValidationError as exc:
        raise leaf.problem(f"with.{exc.field}", exc.reason) from None
    return positive if op == "is" else not_(positive)


def resolve(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """The condition of one criterion of a definition."""
    builtin = BUILTINS.get(leaf.criterion)
    if builtin is not None:
        if builtin.options == {} and leaf.options:
            values.options(leaf, {})
        return builtin.build(c, leaf)
    if leaf.criterion.startswith(CUSTOM_PREFIX):
        values.options(leaf, {})
        return custom_condition(c, leaf, leaf.criterion.removeprefix(CUSTOM_PREFIX))
    contributed = plugin_criteria(c.tx).get(leaf.criterion)
    if contributed is None:
        raise leaf.problem("criterion", f"unknown criterion {leaf.criterion!r}")
    return plugin_condition(leaf, contributed)
