"""Marketing plans: create, read, change and delete a plan with its targets.

A plan is one document: changing it names the version last read (a change made
meanwhile is a 409) and replaces its targets with those given. Every refusal names
the field (``targets[2].period``) and stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, delete, func, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    PostalAddress,
    Transaction,
    ValidationError,
    check_fields,
    clean_territory,
    read_choice,
    read_currency,
    read_decimal,
    read_id,
    read_text,
    read_whole_number,
    record_audit,
    user_table,
    utcnow,
)
from crmkit_campaigns.plans.periods import month_text, next_month, read_month, read_period
from crmkit_campaigns.plans.tables import plan, target

METRICS = ("leads", "conversions", "revenue", "reach")
"""What a target counts: new prospects, prospects become customers, order revenue, members sent."""
NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5000
GROUP_LENGTH = 100
MAX_MONTHS = 120
MAX_TARGETS = 500
MAX_COUNT = 10**12
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")
"""Revenue targets and actuals are amounts of two decimals, whatever the currency."""
FIELDS = ("name", "description", "owner_id", "start", "end", "targets")
TARGET_FIELDS = ("period", "product_group", "region", "metric", "value", "currency")
_REGION = re.compile(r"([A-Z]{2})(-[A-Z0-9]{1,20})?")


@frozen
class Target:
    """What a plan aims at in one period, product group (None: any) and region (None: any)."""

    id: int
    period: str
    product_group: str | None
    region: str | None
    metric: str
    value: int | Decimal
    """A whole number for the counts; for revenue an amount of two decimals in ``currency``."""
    currency: str | None


@frozen
class Plan:
    """A marketing plan over whole months, ``start`` to ``end`` (``YYYY-MM``, both included)."""

    id: int
    name: str
    description: str
    owner_id: int | None
    start: str
    end: str
    targets: list[Target]
    version: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime


@frozen
class PlanSummary:
    """A plan in a list: without its targets, with how many it has."""

    id: int
    name: str
    owner_id: int | None
    start: str
    end: str
    targets: int
    version: int
    updated_at: datetime


def _owner(conn: Connection, value: Any) -> int:
    owner_id = read_id("owner_id", value)
    active = conn.execute(
        select(user_table.c.active).where(user_table.c.id == owner_id)
    ).scalar_one_or_none()
    if not active:
        raise ValidationError("owner_id", f"no active user {owner_id}")
    return owner_id


def _region(field: str, value: Any) -> str | None:
    """A country (``DE``, an ISO 3166 code) or a territory of one (``DE-8``), cleaned."""
    text = read_text(field, value, limit=GROUP_LENGTH)
    if text is None:
        return None
    region = clean_territory(text)
    found = _REGION.fullmatch(region)
    if found is None:
        raise ValidationError(field, "expected a country (DE) or a territory (DE-8)")
    try:
        # The kernel's rule for an address's country: an ISO 3166 alpha-2 code.
        PostalAddress(country=found[1])
    except ValidationError:
        raise ValidationError(field, f"{found[1]} is not an ISO 3166 country code") from None
    return region


def stored_value(metric: str, value: Decimal) -> int | Decimal:
    """A target's value as it was accepted: a count as a whole number, an amount in cents."""
    return value.quantize(CENT) if metric == "revenue" else int(value)


def _target_row(item: Any, where: str, first: date, day_after: date) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise ValidationError(where, "expected an object")
    check_fields(item, TARGET_FIELDS, f"{where}.")
    period = read_period(f"{where}.period", item.get("period"))
    if period.first_day < first or period.day_after > day_after:
        raise ValidationError(f"{where}.period", "is not within the plan's months")
    metric = read_choice(f"{where}.metric", item.get("metric"), METRICS)
    currency = item.get("currency")
    value: int | Decimal
    if metric == "revenue":
        value = read_decimal(
            f"{where}.value", item.get("value"), places=2, minimum=Decimal(0), maximum=MAX_AMOUNT
        )
        currency = read_currency(f"{where}.currency", currency)
    else:
        value = read_whole_number(f"{where}.value", item.get("value"), minimum=0, maximum=MAX_COUNT)
        if currency is not None:
            raise ValidationError(f"{where}.currency", "only a revenue target has a currency")
    return {
        "period": period.text,
        "product_group": read_text(
            f"{where}.product_group", item.get("product_group"), limit=GROUP_LENGTH
        ),
        "region": _region(f"{where}.region", item.get("region")),
        "metric": metric,
        "value": value,
        "currency": currency,
    }


def _targets(value: Any, first: date, last: date) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValidationError("targets", "expected a list")
    if len(value) > MAX_TARGETS:
        raise ValidationError("targets", f"more than {MAX_TARGETS} targets")
    day_after = next_month(last)
    return [_target_row(item, f"targets[{i}]", first, day_after) for i, item in enumerate(value)]


def _span(data: Mapping[str, Any], current: Plan | None) -> tuple[date, date]:
    start = read_month(
        "start", data.get("start") if "start" in data or current is None else current.start
    )
    end = read_month("end", data.get("end") if "end" in data or current is None else current.end)
    if end < start:
        raise ValidationError("end", "is before the start")
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months > MAX_MONTHS:
        raise ValidationError("end", f"a plan spans at most {MAX_MONTHS} months")
    return start, end


def _read(conn: Connection, data: Mapping[str, Any], current: Plan | None) -> dict[str, Any]:
    """The plan's columns and target rows from ``data`` (over ``current`` when changing it)."""
    check_fields(data, FIELDS)
    row: dict[str, Any] = {}
    if "name" in data or current is None:
        row["name"] = read_text("name", data.get("name"), limit=NAME_LENGTH, required=True)
    if "description" in data:
        row["description"] = (
            read_text("description", data["description"], limit=DESCRIPTION_LENGTH) or ""
        )
    if "owner_id" in data:
        row["owner_id"] = None if data["owner_id"] is None else _owner(conn, data["owner_id"])
    start, end = _span(data, current)
    row["starts_on"], row["ends_on"] = start, end
    if "targets" in data:
        row["targets"] = _targets(data["targets"], start, end)
    elif current is not None:
        # Changing the span keeps the targets, which must still fall within it.
        day_after = next_month(end)
        for kept in current.targets:
            period = read_period("targets", kept.period)
            if period.first_day < start or period.day_after > day_after:
                raise ValidationError("start", f"target period {kept.period} would be outside")
    return row


def _write_targets(tx: Transaction, plan_id: int, rows: list[dict[str, Any]]) -> None:
    tx.conn.execute(delete(target).where(target.c.plan_id == plan_id))
    if rows:
        tx.conn.execute(
            insert(target), [{**r, "plan_id": plan_id, "position": i} for i, r in enumerate(rows)]
        )


def create_plan(tx: Transaction, data: Mapping[str, Any]) -> Plan:
    """A new plan from ``data`` (name, description, owner_id, start, end, targets)."""
    row = _read(tx.conn, data, None)
    rows = row.pop("targets", [])
    now = utcnow()
    row.setdefault("description", "")
    row.setdefault("owner_id", tx.actor.user_id)
    plan_id = tx.conn.execute(
        insert(plan)
        .values(**row, created_by=tx.actor.user_id, created_at=now, updated_at=now, version=1)
        .returning(plan.c.id)
    ).scalar_one()
    _write_targets(tx, plan_id, rows)
    record_audit(tx, "campaigns.plan", plan_id, "created", {"name": [None, row["name"]]})
    tx.emit("campaigns.plan_created", "campaigns.plan", plan_id, {"id": plan_id})
    return get_plan(tx.conn, plan_id)


def update_plan(
    tx: Transaction, plan_id: int, data: Mapping[str, Any], version: int | None
) -> Plan:
    """Change the plan: the fields given, and its targets replaced when ``targets`` is given."""
    current = get_plan(tx.conn, plan_id)
    if version is None:
        raise ValidationError("version", "is required: the version last read")
    row = _read(tx.conn, data, current)
    rows = row.pop("targets", None)
    changed = tx.conn.execute(
        update(plan)
        .where(plan.c.id == plan_id, plan.c.version == version)
        .values(**row, updated_at=utcnow(), version=plan.c.version + 1)
    ).rowcount
    if changed != 1:
        raise ConflictError(f"plan {plan_id} was changed meanwhile (version {current.version})")
    if rows is not None:
        _write_targets(tx, plan_id, rows)
    record_audit(tx, "campaigns.plan", plan_id, "updated", {"fields": [None, sorted(data)]})
    tx.emit("campaigns.plan_updated", "campaigns.plan", plan_id, {"id": plan_id})
    return get_plan(tx.conn, plan_id)


def delete_plan(tx: Transaction, plan_id: int, version: int | None) -> None:
    """Delete the plan and its targets, if it is still at ``version``."""
    current = get_plan(tx.conn, plan_id)
    if version is None:
        raise ValidationError("version", "is required: the version last read")
    gone = tx.conn.execute(
        delete(plan).where(plan.c.id == plan_id, plan.c.version == version)
    ).rowcount
    if gone != 1:
        raise ConflictError(f"plan {plan_id} was changed meanwhile (version {current.version})")
    record_audit(tx, "campaigns.plan", plan_id, "deleted", {"name": [current.name, None]})
    tx.emit("campaigns.plan_deleted", "campaigns.plan", plan_id, {"id": plan_id})


def get_plan(conn: Connection, plan_id: int) -> Plan:
    """The plan with its targets in their order; NotFound if there is none."""
    found = conn.execute(select(plan).where(plan.c.id == plan_id)).first()
    if found is None:
        raise NotFound(f"plan {plan_id} does not exist")
    rows = conn.execute(
        select(target).where(target.c.plan_id == plan_id).order_by(target.c.position)
    )
    return Plan(
        id=found.id,
        name=found.name,
        description=found.description,
        owner_id=found.owner_id,
        start=month_text(found.starts_on),
        end=month_text(found.ends_on),
        targets=[
            Target(
                id=r.id,
                period=r.period,
                product_group=r.product_group,
                region=r.region,
                metric=r.metric,
                value=stored_value(r.metric, r.value),
                currency=r.currency,
            )
            for r in rows
        ],
        version=found.version,
        created_by=found.created_by,
        created_at=found.created_at,
        updated_at=found.updated_at,
    )


def list_plans(conn: Connection, *, running_on: date | None = None) -> list[PlanSummary]:
    """Every plan, latest start first; with ``running_on``, those whose months include that day."""
    counts = select(target.c.plan_id, func.count().label("n")).group_by(target.c.plan_id).subquery()
    query = select(plan, func.coalesce(counts.c.n, 0).label("n")).outerjoin(
        counts, counts.c.plan_id == plan.c.id
    )
    if running_on is not None:
        first_day = running_on.replace(day=1)
        query = query.where(plan.c.starts_on <= first_day, plan.c.ends_on >= first_day)
    rows = conn.execute(query.order_by(plan.c.starts_on.desc(), plan.c.id.desc()))
    return [
        PlanSummary(
            id=r.id,
            name=r.name,
            owner_id=r.owner_id,
            start=month_text(r.starts_on),
            end=month_text(r.ends_on),
            targets=r.n,
            version=r.version,
            updated_at=r.updated_at,
        )
        for r in rows
    ]
