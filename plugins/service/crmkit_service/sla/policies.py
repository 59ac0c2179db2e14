"""SLA policies: targets for first response and resolution, chosen by tier, priority and category.

A policy applies to a case when each of its tier, priority and category that is set matches
(a policy's category also covers the categories below it). Of the policies that apply, the
most specific wins:

1. the one setting more of tier, priority and category;
2. on a tie, category before priority before tier;
3. then the nearest category (the case's own before its parent's).

A policy setting none of them is the default. The tier is read from the party's custom field
named by the ``tier_field`` setting (``service_tier`` unless configured): the kernel has no tier
of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import frozen
from sqlalchemy import Connection, delete, insert, select

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    check_storable_text,
    party_table,
    read_id,
    read_whole_number,
    utcnow,
)
from crmkit_service import versions
from crmkit_service.cases.model import PRIORITIES
from crmkit_service.cases.tables import category
from crmkit_service.sla.settings import ESCALATION_STEPS, SlaSettings
from crmkit_service.sla.tables import policy

if TYPE_CHECKING:
    from crmkit_service.sla.clocks import Clock

MAX_TARGET_MINUTES = 366 * 24 * 60
FIELDS = (
    "name",
    "tier",
    "priority",
    "category_id",
    "first_response_minutes",
    "resolution_minutes",
    "warning_percent",
    "escalation",
    "penalty",
    "version",
)


@frozen
class Policy:
    """Targets in business minutes, the warning threshold, who is told on breach, the penalty."""

    id: int
    name: str
    tier: str | None
    priority: str | None
    category_id: int | None
    first_response_minutes: int
    resolution_minutes: int
    warning_percent: int | None
    """None: the ``warning_percent`` setting."""
    escalation: tuple[str, ...] | None
    """None: the ``escalation`` setting."""
    penalty: str | None
    """What the contract names for a breach, e.g. "5 % credit on the monthly fee"."""
    created_at: datetime
    updated_at: datetime
    version: int


def _policy(row: Any) -> Policy:
    escalation = row.escalation
    return Policy(
        id=row.id,
        name=row.name,
        tier=row.tier,
        priority=row.priority,
        category_id=row.category_id,
        first_response_minutes=row.first_response_minutes,
        resolution_minutes=row.resolution_minutes,
        warning_percent=row.warning_percent,
        escalation=None if escalation is None else tuple(escalation),
        penalty=row.penalty,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def _text(data: Mapping[str, Any], name: str, limit: int, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationError(name, f"expected text of 1 to {limit} characters")
    check_storable_text(name, value)
    return value.strip()


def read_policy(conn: Connection, data: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of a policy from an untrusted body; refusals name the field."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    values: dict[str, Any] = {
        "name": _text(data, "name", 100, required=True),
        "tier": _text(data, "tier", 40, required=False),
        "penalty": _text(data, "penalty", 300, required=False),
    }
    priority = data.get("priority")
    if priority is not None and priority not in PRIORITIES:
        raise ValidationError("priority", f"expected one of {', '.join(PRIORITIES)}")
    values["priority"] = priority
    category_id = data.get("category_id")
    if category_id is not None:
        category_id = read_id("category_id", category_id)
        if conn.execute(select(category.c.id).where(category.c.id == category_id)).first() is None:
            raise ValidationError("category_id", f"no category {category_id}")
    values["category_id"] = category_id
    for name in ("first_response_minutes", "resolution_minutes"):
        values[name] = read_whole_number(
            name, data.get(name), minimum=1, maximum=MAX_TARGET_MINUTES
        )
    if values["first_response_minutes"] > values["resolution_minutes"]:
        raise ValidationError("first_response_minutes", "longer than resolution_minutes")
    warning = data.get("warning_percent")
    values["warning_percent"] = (
        None
        if warning is None
        else read_whole_number("warning_percent", warning, minimum=1, maximum=99)
    )
    values["escalation"] = _read_escalation(data.get("escalation"))
    return values


def _read_escalation(value: Any) -> list[str] | None:
    if value is None:
        return None
    steps = ", ".join(ESCALATION_STEPS)
    if not isinstance(value, list) or not value or len(value) > len(ESCALATION_STEPS):
        raise ValidationError("escalation", f"expected a list of {steps}")
    if any(step not in ESCALATION_STEPS for step in value) or len(set(value)) != len(value):
        raise ValidationError("escalation", f"expected each of {steps} at most once")
    return list(value)


def _check_unique(conn: Connection, values: Mapping[str, Any], policy_id: int | None) -> None:
    others = select(
        policy.c.id, policy.c.name, policy.c.tier, policy.c.priority, policy.c.category_id
    )
    if policy_id is not None:
        others = others.where(policy.c.id != policy_id)
    for row in conn.execute(others):
        if row.name == values["name"]:
            raise ConflictError(f"a policy named {row.name!r} exists already")
        if (row.tier, row.priority, row.category_id) == (
            values["tier"],
            values["priority"],
            values["category_id"],
        ):
            raise ConflictError(
                f"policy {row.name!r} applies to the same tier, priority and category"
            )


def create_policy(tx: Transaction, data: Mapping[str, Any]) -> Policy:
    values = read_policy(tx.conn, data)
    _check_unique(tx.conn, values, None)
    now = utcnow()
    row = tx.conn.execute(
        insert(policy)
        .values(**values, created_at=now, updated_at=now, version=1)
        .returning(*policy.c)
    ).one()
    return _policy(row)


def update_policy(tx: Transaction, policy_id: int, data: Mapping[str, Any]) -> Policy:
    found = get_policy(tx.conn, policy_id)
    what = f"policy {policy_id}"
    versions.check_version(what, found.version, data.get("version"))
    values = read_policy(tx.conn, data)
    _check_unique(tx.conn, values, policy_id)
    return _policy(versions.update_versioned(tx, policy, what, policy_id, found.version, values))


def delete_policy(tx: Transaction, policy_id: int) -> None:
    get_policy(tx.conn, policy_id)
    tx.conn.execute(delete(policy).where(policy.c.id == policy_id))


def get_policy(conn: Connection, policy_id: int) -> Policy:
    row = conn.execute(select(policy).where(policy.c.id == policy_id)).first()
    if row is None:
        raise NotFound(f"no SLA policy {policy_id}")
    return _policy(row)


def list_policies(conn: Connection) -> list[Policy]:
    return [_policy(row) for row in conn.execute(select(policy).order_by(policy.c.name))]


def escalation_of(conn: Connection, late: Clock, settings: SlaSettings) -> tuple[str, ...]:
    """The escalation steps of the clock's policy, else of the settings."""
    steps = None
    if late.policy_id is not None:
        steps = conn.execute(
            select(policy.c.escalation).where(policy.c.id == late.policy_id)
        ).scalar_one_or_none()
    return settings.escalation if steps is None else tuple(steps)


def tier_of_party(conn: Connection, party_id: int, tier_field: str) -> str | None:
    """The party's tier: the value of its custom field ``tier_field``, as text."""
    custom = conn.execute(
        select(party_table.c.custom).where(party_table.c.id == party_id)
    ).scalar_one_or_none()
    value = (custom or {}).get(tier_field)
    return None if value is None else str(value)


def category_chain(conn: Connection, category_id: int | None) -> list[int]:
    """The category and its ancestors, nearest first."""
    chain: list[int] = []
    while category_id is not None and category_id not in chain:
        chain.append(category_id)
        category_id = conn.execute(
            select(category.c.parent_id).where(category.c.id == category_id)
        ).scalar_one_or_none()
    return chain


def choose(
    policies: Sequence[Policy], tier: str | None, priority: str, categories: Sequence[int]
) -> Policy | None:
    """The most specific of ``policies`` that applies (see the module's description)."""
    best: tuple[tuple[int, ...], Policy] | None = None
    for candidate in policies:
        if candidate.tier is not None and candidate.tier != tier:
            continue
        if candidate.priority is not None and candidate.priority != priority:
            continue
        if candidate.category_id is not None and candidate.category_id not in categories:
            continue
        has = (
            candidate.category_id is not None,
            candidate.priority is not None,
            candidate.tier is not None,
        )
        nearness = -categories.index(candidate.category_id) if has[0] else 0
        rank = (sum(has), *has, nearness, -candidate.id)
        if best is None or rank > best[0]:
            best = (rank, candidate)
    return None if best is None else best[1]


def policy_for(
    conn: Connection, party_id: int, priority: str, category_id: int | None, tier_field: str
) -> Policy | None:
    """The policy a case of this party, priority and category is held to; None: no SLA."""
    return choose(
        list_policies(conn),
        tier_of_party(conn, party_id, tier_field),
        priority,
        category_chain(conn, category_id),
    )
