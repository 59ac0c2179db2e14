"""Sales targets per user, team, territory or product group and period, and how far they are met.

Actuals come from placed orders: an order counts in the period it was placed,
for its owner (user, team), its opportunity's territory, and (for a product
group) with the net of its lines of that group. An amount target counts the
orders of its own currency only; amounts are never converted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    read_currency,
    read_decimal,
    read_reference,
    user_table,
    utcnow,
)
from crmkit.web import optional_version
from crmkit_sfa.pipeline.fields import changes
from crmkit_sfa.pipeline.tables import opportunity
from crmkit_sfa.planning.money import money
from crmkit_sfa.planning.periods import Period, parse_period
from crmkit_sfa.planning.scopes import Scope, ScopeKind, parse_scope, scope_terms
from crmkit_sfa.planning.tables import target
from crmkit_sfa.quotes.money import minor_places
from crmkit_sfa.quotes.tables import order, order_line

Measure = Literal["amount", "count"]
MEASURES: tuple[Measure, ...] = ("amount", "count")
TARGET_FIELDS = frozenset(
    {"scope", "scope_key", "period", "measure", "value", "currency", "owner_id", "version"}
)
MAX_VALUE = Decimal("99999999999999")
"""The largest target: its column holds 14 digits before the point."""


@frozen
class Target:
    """What a scope should sell in a period: an amount in ``currency``, or a count of orders."""

    id: int
    scope: ScopeKind
    scope_key: str
    period: str
    measure: Measure
    value: Decimal
    currency: str | None
    owner_id: int | None
    """Who answers for it (a user target: that user); run-rate alerts go to them and their manager."""
    version: int

    def sold_by(self) -> Scope:
        """The scope whose sales count towards this target."""
        return Scope(self.scope, self.scope_key)


@frozen
class Attainment:
    """A target against its actuals: attainment in percent, the gap, and where the run-rate leads."""

    target: Target
    actual: Decimal
    attainment_percent: Decimal
    gap: Decimal
    projected: Decimal
    """The actual extrapolated to the whole period at today's pace."""
    on_track: bool


def _target(row: Any) -> Target:
    period = Period(row.period_kind, row.period_start)
    return Target(
        id=row.id,
        scope=row.scope,
        scope_key=row.scope_key,
        period=period.key,
        measure=row.measure,
        value=money(row.value, row.currency) if row.currency else Decimal(int(row.value)),
        currency=row.currency,
        owner_id=row.owner_id,
        version=row.version,
    )


def period_of_target(item: Target) -> Period:
    return parse_period("period", item.period)


def _value(currency: str | None, raw: Any) -> Decimal:
    """An amount (as many places as ``currency`` has) or, without a currency, a count."""
    places = 0 if currency is None else minor_places(currency)
    return read_decimal(
        "value", raw, places=places, minimum=Decimal(0), maximum=MAX_VALUE, exclusive_minimum=True
    )


def _currency(measure: str, raw: Any) -> str | None:
    if measure == "count":
        if raw is not None:
            raise ValidationError("currency", "a count target has no currency")
        return None
    return read_currency("currency", raw)


def _checked(conn: Connection, data: Mapping[str, Any]) -> dict[str, Any]:
    """The row a target body describes, every field checked; errors name the field."""
    unknown = set(data) - TARGET_FIELDS
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    scope = parse_scope(data.get("scope"), data.get("scope_key"))
    if scope.kind == "all":
        raise ValidationError(
            "scope", "a target is set for a user, team, territory or product group"
        )
    period = parse_period("period", data.get("period"))
    measure = data.get("measure", "amount")
    if measure not in MEASURES:
        raise ValidationError("measure", f"expected one of {', '.join(MEASURES)}")
    owner_id = data.get("owner_id")
    if scope.kind == "user":
        user_id = read_reference(conn, "scope_key", int(scope.key), user_table, "user")
        if owner_id is not None and owner_id != user_id:
            raise ValidationError("owner_id", "a user's target is owned by that user")
        owner_id = user_id
    elif owner_id is not None:
        owner_id = read_reference(conn, "owner_id", owner_id, user_table, "user")
    currency = _currency(measure, data.get("currency"))
    return {
        "scope": scope.kind,
        "scope_key": scope.key,
        "period_kind": period.kind,
        "period_start": period.start,
        "measure": measure,
        "value": _value(currency, data.get("value")),
        "currency": currency,
        "owner_id": owner_id,
    }


def _refuse_duplicate(conn: Connection, row: Mapping[str, Any], other_than: int | None) -> None:
    same = conn.execute(
        select(target.c.id).where(
            *(
                target.c[name] == row[name]
                for name in ("scope", "scope_key", "period_kind", "period_start", "measure")
            ),
            target.c.id != (other_than or 0),
        )
    ).first()
    if same is not None:
        raise ConflictError(f"target {same.id} already sets this {row['measure']} for the period")


def create_target(tx: Transaction, data: Mapping[str, Any]) -> Target:
    """Set a target from ``data`` (untrusted: an API body)."""
    row = _checked(tx.conn, data)
    _refuse_duplicate(tx.conn, row, None)
    now = utcnow()
    created = tx.conn.execute(
        insert(target).values(**row, version=1, created_at=now, updated_at=now).returning(*target.c)
    ).one()
    return _target(created)


def _stored(conn: Connection, target_id: int, version: int | None = None) -> Any:
    """The target's row; ``version``, when given, must be the stored one."""
    row = conn.execute(select(target).where(target.c.id == target_id)).first()
    if row is None:
        raise NotFound(f"no target {target_id}")
    if version is not None and version != row.version:
        raise ConflictError(f"target {target_id} was changed since version {version}")
    return row


def get_target(conn: Connection, target_id: int) -> Target:
    return _target(_stored(conn, target_id))


def update_target(tx: Transaction, target_id: int, data: Mapping[str, Any]) -> Target:
    """Replace the target's fields; ``version``, when given, must be the stored one.

    Values the target has already change nothing: it keeps its version.
    """
    stored = _stored(tx.conn, target_id, optional_version(data))
    current = _target(stored)
    row = _checked(tx.conn, {k: v for k, v in data.items() if k != "version"})
    if not changes(stored, row):
        return current
    _refuse_duplicate(tx.conn, row, target_id)
    updated = tx.conn.execute(
        update(target)
        # The version in the WHERE makes a concurrent update lose instead of overwrite.
        .where(target.c.id == target_id, target.c.version == current.version)
        .values(**row, version=current.version + 1, updated_at=utcnow())
        .returning(*target.c)
    ).first()
    if updated is None:
        raise ConflictError(f"target {target_id} was changed at the same time")
    return _target(updated)


def delete_target(tx: Transaction, target_id: int, version: int | None = None) -> None:
    """Delete the target; ``version``, when given, must be the stored one."""
    stored = _stored(tx.conn, target_id, version)
    deleted = tx.conn.execute(
        # As in update_target: a change committed meanwhile keeps the target.
        delete(target).where(target.c.id == target_id, target.c.version == stored.version)
    )
    if deleted.rowcount != 1:
        raise ConflictError(f"target {target_id} was changed at the same time")


def list_targets(
    conn: Connection, *, period: Period | None = None, scope: Scope | None = None
) -> list[Target]:
    """Targets, optionally of one period and scope, ordered by period, scope and key."""
    query = select(target).order_by(
        target.c.period_start, target.c.period_kind, target.c.scope, target.c.scope_key, target.c.id
    )
    if period is not None:
        query = query.where(
            target.c.period_kind == period.kind, target.c.period_start == period.start
        )
    if scope is not None and scope.kind != "all":
        query = query.where(target.c.scope == scope.kind, target.c.scope_key == scope.key)
    return [_target(row) for row in conn.execute(query)]


def actual(conn: Connection, item: Target) -> Decimal:
    """What the target's scope has sold in its period, from placed orders."""
    period = period_of_target(item)
    scope = item.sold_by()
    terms: list[ColumnElement[bool]] = [
        order.c.placed_at >= period.starts_at,
        order.c.placed_at < period.ends_at,
    ]
    if item.measure == "amount":
        terms.append(order.c.currency == item.currency)
    if scope.kind == "product_group":
        in_group = [*terms, order_line.c.product_group == scope.key]
        source = order.join(order_line, order_line.c.order_id == order.c.id)
        measured = (
            func.sum(order_line.c.net)
            if item.measure == "amount"
            else func.count(order.c.id.distinct())
        )
        return _measured(
            item, conn.execute(select(measured).select_from(source).where(*in_group)).scalar()
        )
    if scope.kind == "territory":
        in_territory = select(opportunity.c.id).where(
            *scope_terms(scope, owner=None, territory=opportunity.c.territory)
        )
        terms.append(order.c.opportunity_id.in_(in_territory))
    else:
        terms += scope_terms(scope, owner=order.c.owner_id, territory=None)
    measured = func.sum(order.c.total_net) if item.measure == "amount" else func.count()
    return _measured(item, conn.execute(select(measured).where(*terms)).scalar())


def _measured(item: Target, value: Any) -> Decimal:
    return money(value, item.currency) if item.currency else Decimal(value or 0)


def attainment(conn: Connection, item: Target, today: date) -> Attainment:
    """The target against its actual so far, and the run-rate projection as of ``today``."""
    period = period_of_target(item)
    done = actual(conn, item)
    elapsed = period.elapsed_days(today)
    projected = done * period.days / elapsed if elapsed else done
    return Attainment(
        target=item,
        actual=done,
        attainment_percent=(done * 100 / item.value).quantize(Decimal("0.1")),
        gap=max(item.value - done, done * 0),
        projected=_measured(
            item, projected.to_integral_value() if item.currency is None else projected
        ),
        on_track=projected >= item.value,
    )
