"""Criteria over the party's own fields and its first address (where territories look too)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select

from crmkit import clean_territory, contact_point_table, party_table, territory_condition
from crmkit_campaigns.segments import values
from crmkit_campaigns.segments.language import Builtin, Compilation, Leaf

TEXT_OPS = ("eq", "ne", "in", "not_in", "starts_with", "contains", "empty", "not_empty")
CHOICE_OPS = ("eq", "ne", "in", "not_in")
DATE_OPS = ("within_days", "older_than_days", "before", "after", "empty", "not_empty")
NUMBER_OPS = ("ge", "gt", "le", "lt", "eq", "ne", "empty", "not_empty")
NEGATED = {"ne": "eq", "not_in": "in", "not_empty": "empty"}
"""Operators compiled as NOT of their positive: a party without the field is ``ne`` anything."""

TERRITORY = re.compile(r"[A-Z]{2}(-[A-Z0-9-]*)?")
"""A territory as the kernel writes it (cleaned): a country code, then a postcode prefix."""
ROLES = ("customer", "prospect")
KINDS = ("person", "organisation")


def text_condition(
    c: Compilation, leaf: Leaf, column: ColumnElement[Any], *, folded: bool = False
) -> ColumnElement[bool]:
    """``column`` compared as the leaf says; ``folded``: case-insensitively."""
    op = values.operator(leaf, TEXT_OPS)
    if op in NEGATED:
        return not_(_text(leaf, NEGATED[op], column, folded))
    return _text(leaf, op, column, folded)


def _text(leaf: Leaf, op: str, column: ColumnElement[Any], folded: bool) -> ColumnElement[bool]:
    if op == "empty":
        values.no_value(leaf, leaf.op or op)
        return or_(column.is_(None), column == "")

    def fold(value: str) -> str:
        return value.lower() if folded else value

    subject = func.lower(column) if folded else column
    compared: ColumnElement[bool]
    if op == "in":
        compared = subject.in_([fold(v) for v in values.texts(leaf)])
    else:
        value = fold(values.text(leaf))
        compared = {
            "eq": lambda: subject == value,
            "starts_with": lambda: subject.startswith(value, autoescape=True),
            "contains": lambda: subject.contains(value, autoescape=True),
        }[op]()
    # Never NULL, so that NOT of it keeps the parties without the field.
    return and_(column.is_not(None), compared)


def choice_condition(
    leaf: Leaf, column: ColumnElement[Any], allowed: tuple[str, ...]
) -> ColumnElement[bool]:
    op = values.operator(leaf, CHOICE_OPS)
    if op in ("eq", "ne"):
        positive = column == values.choice(leaf, allowed)
    else:
        positive = column.in_(values.choices(leaf, allowed))
    # NOT of a condition that is never NULL: a party without the field is ``ne`` anything.
    return positive if op in ("eq", "in") else not_(and_(column.is_not(None), positive))


def date_condition(c: Compilation, leaf: Leaf, column: ColumnElement[Any]) -> ColumnElement[bool]:
    op = values.operator(leaf, DATE_OPS)
    if op in ("empty", "not_empty"):
        values.no_value(leaf, op)
        return column.is_(None) if op == "empty" else column.is_not(None)
    if op in ("within_days", "older_than_days"):
        since = values.days_ago(leaf, c.now, leaf.value, "value")
        return and_(column.is_not(None), column >= since if op == "within_days" else column < since)
    day = values.moment(leaf)
    return and_(column.is_not(None), column < day if op == "before" else column >= day)


def number_condition(leaf: Leaf, column: ColumnElement[Any]) -> ColumnElement[bool]:
    op = values.operator(leaf, NUMBER_OPS)
    if op in ("empty", "not_empty"):
        values.no_value(leaf, op)
        return column.is_(None) if op == "empty" else column.is_not(None)
    number = values.whole_number(leaf, leaf.value, "value", minimum=-(10**9))
    compared = {
        "eq": column == number,
        "ne": column == number,
        "lt": column < number,
        "le": column <= number,
        "gt": column > number,
        "ge": column >= number,
    }[op]
    positive = and_(column.is_not(None), compared)
    # ``ne`` is NOT of ``eq``: a party without the field is ``ne`` anything.
    return not_(positive) if op == "ne" else positive


def owner_condition(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """``owner``: user ids, ``me`` standing for whoever runs the segment."""
    op = values.operator(leaf, ("eq", "ne", "in", "not_in", "empty", "not_empty"))
    column = party_table.c.owner_id
    if op in ("empty", "not_empty"):
        values.no_value(leaf, op)
        return column.is_(None) if op == "empty" else column.is_not(None)
    raw = [leaf.value] if op in ("eq", "ne") else values.items_of(leaf)
    me = c.tx.actor.user_id
    ids = [
        me if item == "me" and me is not None else values.record_id(leaf, item, f"value[{i}]")
        for i, item in enumerate(raw)
    ]
    if op in ("eq", "ne") and len(ids) != 1:
        raise leaf.problem("value", "expected one user id (or me)")
    positive = and_(column.is_not(None), column.in_(ids))
    return positive if op in ("eq", "in") else not_(positive)


def first_address(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Parties whose first address (the one territories go by) meets ``condition``."""
    cp = contact_point_table
    return party_table.c.id.in_(
        select(cp.c.party_id).where(cp.c.kind == "address", cp.c.position == 0, condition)
    )


def key_prefixes(c: Compilation, prefixes: list[str]) -> ColumnElement[bool]:
    """Territory keys starting with one of ``prefixes`` (cleaned): the LIKE decides; on SQLite,
    whose LIKE ignores case and so no index serves it, a key range beside it lets one."""
    key = contact_point_table.c.key
    if c.tx.conn.dialect.name != "sqlite":
        return or_(*(key.startswith(p, autoescape=True) for p in prefixes))
    return or_(
        *(
            and_(key >= p, key < p[:-1] + chr(ord(p[-1]) + 1), key.startswith(p, autoescape=True))
            for p in prefixes
        )
    )


def country_condition(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """``country``: ISO codes, matched on the territory key (``DE-…``) so that the index serves."""
    op = values.operator(leaf, ("eq", "ne", "in", "not_in"))
    items = [values.text(leaf)] if op in ("eq", "ne") else values.texts(leaf)
    codes = [clean_territory(code) for code in items]
    for i, code in enumerate(codes):
        if len(code) != 2 or not code.isalpha() or not code.isascii():
            raise leaf.problem(
                "value" if op in ("eq", "ne") else f"value[{i}]",
                "expected a country code such as DE",
            )
    positive = first_address(key_prefixes(c, [f"{code}-" for code in codes]))
    return positive if op in ("eq", "in") else not_(positive)


def territory_condition_of(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """``territory``: the kernel's territories (``DE-8`` covers postcodes 8… in Germany)."""
    op = values.operator(leaf, ("in", "not_in"))
    territories = values.texts(leaf)
    for i, territory in enumerate(territories):
        if not TERRITORY.fullmatch(clean_territory(territory)):
            raise leaf.problem(f"value[{i}]", "expected a territory such as DE-8 or FR")
    covered = territory_condition(contact_point_table.c.key, territories)
    if covered is None:
        raise leaf.problem("value", "expected territories such as DE-8 or FR")
    if c.tx.conn.dialect.name == "sqlite":
        # The kernel's rule decides (a country alone covers "DE-…"); on SQLite the key ranges
        # of the same prefixes beside it let the index serve.
        cleaned = [clean_territory(t) for t in territories if clean_territory(t)]
        prefixes = [t if "-" in t else f"{t}-" for t in cleaned]
        covered = and_(covered, key_prefixes(c, prefixes))
    positive = first_address(covered)
    return positive if op == "in" else not_(positive)


def address_field(name: str, *, folded: bool) -> Any:
    def build(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
        op = values.operator(leaf, TEXT_OPS)
        column = contact_point_table.c.data[name].as_string()
        if op in NEGATED:
            return not_(first_address(_text(leaf, NEGATED[op], column, folded)))
        return first_address(_text(leaf, op, column, folded))

    return build


def column_text(name: str, *, folded: bool = False) -> Any:
    return lambda c, leaf: text_condition(c, leaf, party_table.c[name], folded=folded)


def column_date(name: str) -> Any:
    return lambda c, leaf: date_condition(c, leaf, party_table.c[name])


FIELDS = [
    Builtin(
        "role",
        "Role",
        CHOICE_OPS,
        "choice:customer|prospect",
        {},
        lambda c, leaf: choice_condition(leaf, party_table.c.role, ROLES),
    ),
    Builtin(
        "kind",
        "Person or organisation",
        CHOICE_OPS,
        "choice:person|organisation",
        {},
        lambda c, leaf: choice_condition(leaf, party_table.c.kind, KINDS),
    ),
    Builtin("name", "Name", TEXT_OPS, "text", {}, column_text("display_name", folded=True)),
    Builtin("status", "Status", TEXT_OPS, "text", {}, column_text("status")),
    Builtin("source", "Source", TEXT_OPS, "text", {}, column_text("source")),
    Builtin(
        "owner",
        "Owner",
        ("eq", "ne", "in", "not_in", "empty", "not_empty"),
        "ids",
        {},
        owner_condition,
    ),
    Builtin("created_at", "Created", DATE_OPS, "days", {}, column_date("created_at")),
    Builtin("updated_at", "Last changed", DATE_OPS, "days", {}, column_date("updated_at")),
    Builtin("converted_at", "Became a customer", DATE_OPS, "days", {}, column_date("converted_at")),
    Builtin(
        "score",
        "Lead score",
        NUMBER_OPS,
        "number",
        {},
        lambda c, leaf: number_condition(leaf, party_table.c.score),
    ),
    Builtin("country", "Country", ("eq", "ne", "in", "not_in"), "texts", {}, country_condition),
    Builtin("territory", "Territory", ("in", "not_in"), "texts", {}, territory_condition_of),
    Builtin("postcode", "Postcode", TEXT_OPS, "text", {}, address_field("postcode", folded=False)),
    Builtin("city", "City", TEXT_OPS, "text", {}, address_field("city", folded=True)),
]
