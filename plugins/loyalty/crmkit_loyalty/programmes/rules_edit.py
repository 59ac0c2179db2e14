"""Creating, changing and deleting a programme's point rules.

Each kind takes its own fields and refuses the others' (a spend rule has no ``points``).
At most one active rule applies at a time per spend, per referral, per product group and
per behaviour: two rules valid on one day would make an order or an answered survey earn
twice, or leave which one counts to chance.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, update

from crmkit import (
    Transaction,
    ValidationError,
    check_fields,
    read_choice,
    read_decimal,
    read_text,
    read_whole_number,
    utcnow,
)
from crmkit_loyalty.programmes.behaviours import behaviours
from crmkit_loyalty.programmes.inputs import read_flag, read_optional_date, read_optional_number
from crmkit_loyalty.programmes.model import Rule
from crmkit_loyalty.programmes.records import (
    audit,
    changed,
    conflict,
    created,
    differences,
    locked_programme,
    required_version,
)
from crmkit_loyalty.programmes.service import get_rule, rules_of
from crmkit_loyalty.programmes.tables import RULE_KINDS, rule

FIELDS = (
    "kind",
    "name",
    "points_per_unit",
    "product_group",
    "behaviour",
    "points",
    "max_per_party_per_year",
    "valid_from",
    "valid_until",
    "active",
)
KIND_FIELDS = {
    "spend": ("points_per_unit",),
    "product_group": ("product_group", "points_per_unit"),
    "behaviour": ("behaviour", "points", "max_per_party_per_year"),
    "referral": ("points", "max_per_party_per_year"),
}
"""What each kind takes; the last of behaviour's and referral's is optional."""
OPTIONAL = ("max_per_party_per_year",)
SPECIFIC = ("points_per_unit", "product_group", "behaviour", "points", "max_per_party_per_year")
NAME_LENGTH = 200
GROUP_LENGTH = 100
MAX_PER_UNIT = Decimal(1000)
MAX_POINTS = 1_000_000
MAX_PER_YEAR = 10_000


def _value(field: str, value: Any, hooks: Any) -> Any:
    if value is None:
        return None
    if field == "points_per_unit":
        return read_decimal(
            field,
            value,
            places=4,
            minimum=Decimal(0),
            maximum=MAX_PER_UNIT,
            exclusive_minimum=True,
        )
    if field == "product_group":
        return read_text(field, value, limit=GROUP_LENGTH)
    if field == "behaviour":
        name = read_text(field, value, limit=GROUP_LENGTH)
        if name is not None and name not in behaviours(hooks):
            raise ValidationError(field, f"no plugin announces the behaviour {name!r}")
        return name
    if field == "points":
        return read_whole_number(field, value, minimum=1, maximum=MAX_POINTS)
    return read_optional_number(field, value, minimum=1, maximum=MAX_PER_YEAR)


def _read(tx: Transaction, data: Mapping[str, Any], current: Rule | None) -> dict[str, Any]:
    """The rule's columns: ``data`` over ``current``, checked as a whole for its kind."""
    check_fields(data, FIELDS)
    if current is None:
        kind = read_choice("kind", data.get("kind"), RULE_KINDS)
    else:
        kind = current.kind
        if "kind" in data and data["kind"] != kind:
            raise ValidationError("kind", "cannot be changed: make a new rule")
    row: dict[str, Any] = {"kind": kind}
    if "name" in data or current is None:
        row["name"] = read_text("name", data.get("name"), limit=NAME_LENGTH, required=True)
    for field in SPECIFIC:
        if field in data:
            row[field] = _value(field, data[field], tx.hooks)
            if row[field] is not None and field not in KIND_FIELDS[kind]:
                raise ValidationError(field, f"a {kind} rule has no {field}")
        elif current is not None:
            row[field] = getattr(current, field)
        else:
            row[field] = None
    for field in KIND_FIELDS[kind]:
        if row[field] is None and field not in OPTIONAL:
            raise ValidationError(field, f"is required for a {kind} rule")
    for field in ("valid_from", "valid_until"):
        if field in data:
            row[field] = read_optional_date(field, data[field])
        else:
            row[field] = None if current is None else getattr(current, field)
    if row["valid_from"] and row["valid_until"] and row["valid_until"] < row["valid_from"]:
        raise ValidationError("valid_until", "is before valid_from")
    if "active" in data:
        row["active"] = int(read_flag("active", data["active"]))
    else:
        row["active"] = 1 if current is None else int(current.active)
    return row


def _overlap(a: tuple[date | None, date | None], b: tuple[date | None, date | None]) -> bool:
    (a_from, a_until), (b_from, b_until) = a, b
    starts_before_b_ends = a_from is None or b_until is None or a_from <= b_until
    b_starts_before_a_ends = b_from is None or a_until is None or b_from <= a_until
    return starts_before_b_ends and b_starts_before_a_ends


def _check_alone(
    tx: Transaction, programme_id: int, row: dict[str, Any], rule_id: int | None
) -> None:
    """Refuse an active rule when another of its kind (and product group or behaviour) is
    active on one of its days."""
    if not row["active"]:
        return
    kind = row["kind"]
    key = {"product_group": "product_group", "behaviour": "behaviour"}.get(kind)
    period = (row["valid_from"], row["valid_until"])
    for other in rules_of(tx.conn, programme_id):
        if other.id == rule_id or other.kind != kind or not other.active:
            continue
        if key is not None and getattr(other, key) != row[key]:
            continue
        if _overlap(period, (other.valid_from, other.valid_until)):
            what = f"{kind} rule" if key is None else f"rule for {key} {row[key]!r}"
            raise ValidationError(
                key or "valid_from",
                f"an active {what} ({other.name!r}, id {other.id}) applies on some of its days",
            )


def create_rule(tx: Transaction, programme_id: int, data: Mapping[str, Any]) -> Rule:
    """A new rule of the programme from ``data``; active unless ``active`` is false."""
    locked_programme(tx, programme_id)
    row = _read(tx, data, None)
    _check_alone(tx, programme_id, row, None)
    now = utcnow()
    rule_id = tx.conn.execute(
        insert(rule)
        .values(**row, programme_id=programme_id, created_at=now, updated_at=now, version=1)
        .returning(rule.c.id)
    ).scalar_one()
    audit(tx, "rule", rule_id, "created", created(row))
    changed(tx, programme_id, "rule", data)
    return get_rule(tx.conn, programme_id, rule_id)


def update_rule(
    tx: Transaction, programme_id: int, rule_id: int, data: Mapping[str, Any], version: int | None
) -> Rule:
    """Change the rule's fields given (not its kind), if it is still at ``version``;
    ``active: false`` retires it and keeps it on record."""
    locked_programme(tx, programme_id)
    current = get_rule(tx.conn, programme_id, rule_id)
    expected = required_version(version)
    row = _read(tx, data, current)
    differing = differences(current, row)
    if not differing:
        return current
    _check_alone(tx, programme_id, row, rule_id)
    done = tx.conn.execute(
        update(rule)
        .where(rule.c.id == rule_id, rule.c.version == expected)
        .values(**row, updated_at=utcnow(), version=rule.c.version + 1)
    ).rowcount
    if done != 1:
        raise conflict(f"rule {rule_id}", current.version)
    audit(tx, "rule", rule_id, "updated", differing)
    changed(tx, programme_id, "rule", data)
    return get_rule(tx.conn, programme_id, rule_id)


def delete_rule(tx: Transaction, programme_id: int, rule_id: int, version: int | None) -> None:
    """Delete the rule; entries it earned keep their points and description, without it."""
    locked_programme(tx, programme_id)
    current = get_rule(tx.conn, programme_id, rule_id)
    expected = required_version(version)
    gone = tx.conn.execute(
        delete(rule).where(rule.c.id == rule_id, rule.c.version == expected)
    ).rowcount
    if gone != 1:
        raise conflict(f"rule {rule_id}", current.version)
    audit(tx, "rule", rule_id, "deleted", {"name": [current.name, None]})
    changed(tx, programme_id, "rule", {})
