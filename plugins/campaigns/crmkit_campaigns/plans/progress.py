"""A plan's targets against their actuals: what was reached, what was expected by now, a status.

Each target's actual is one set-based query (:mod:`crmkit_campaigns.plans.actuals`). For a
running period the expectation is the target pro rata, by the share of the period gone;
the status compares the actual with it, within the tolerance of the settings.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from attrs import frozen
from sqlalchemy import Connection

from crmkit import Actor
from crmkit_campaigns.plans.actuals import actual_of
from crmkit_campaigns.plans.periods import read_period
from crmkit_campaigns.plans.service import CENT, Plan, Target
from crmkit_campaigns.plans.settings import PlanSettings

STATUSES = ("upcoming", "ahead", "on_track", "behind", "met", "missed", "not_available")
"""``upcoming``: the period has not begun; ``ahead``/``on_track``/``behind``: running, against
the pro-rata expectation; ``met``: the target is reached (during or after the period);
``missed``: the period is over short of it; ``not_available``: no source for the metric."""


@frozen
class TargetProgress:
    """One target, its actual so far (None when not available) and how far it deviates."""

    target: Target
    actual: Decimal | None
    expected_to_date: Decimal
    """The target pro rata by the share of the period gone (all of it once the period is over)."""
    deviation: Decimal | None
    """``actual - expected_to_date``."""
    deviation_percent: Decimal | None
    """The deviation in percent of the expectation; None while nothing is expected yet."""
    share_of_target: Decimal | None
    """The actual in percent of the target; None for a target of 0."""
    status: str
    note: str | None


@frozen
class PlanProgress:
    """A plan's targets with their actuals as of ``as_of``, counted over the parties the reader sees."""

    plan: Plan
    as_of: datetime
    targets: list[TargetProgress]


def _status(
    actual: Decimal,
    value: Decimal,
    expected: Decimal,
    *,
    started: bool,
    over: bool,
    tolerance: Decimal,
) -> str:
    if not started:
        return "upcoming"
    if actual >= value:
        return "met"
    if over:
        return "missed"
    if actual > expected * (1 + tolerance):
        return "ahead"
    return "on_track" if actual >= expected * (1 - tolerance) else "behind"


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(CENT, ROUND_HALF_UP) if whole else None


def _progress(
    host: Any,
    conn: Connection,
    actor: Actor,
    item: Target,
    now: datetime,
    settings: PlanSettings,
) -> TargetProgress:
    zone = ZoneInfo(settings.time_zone)
    period = read_period("period", item.period)
    starts_at, ends_at = period.starts_at(zone), period.ends_at(zone)
    gone = min(max((now - starts_at) / (ends_at - starts_at), 0.0), 1.0)
    value = Decimal(item.value)
    expected = (value * Decimal(str(gone))).quantize(CENT, ROUND_HALF_UP)
    actual = actual_of(host, conn, actor, item, starts_at, min(ends_at, now))
    if actual is None:
        return TargetProgress(
            item, None, expected, None, None, None, "not_available", "revenue needs the sfa plugin"
        )
    deviation = actual - expected
    status = _status(
        actual,
        value,
        expected,
        started=now >= starts_at,
        over=now >= ends_at,
        tolerance=Decimal(settings.tolerance_percent) / 100,
    )
    return TargetProgress(
        target=item,
        actual=actual,
        expected_to_date=expected,
        deviation=deviation,
        deviation_percent=_percent(deviation, expected),
        share_of_target=_percent(actual, value),
        status=status,
        note=None,
    )


def plan_progress(
    host: Any, conn: Connection, actor: Actor, found: Plan, now: datetime, settings: PlanSettings
) -> PlanProgress:
    """Every target of ``found`` with its actual as of ``now``, as ``actor`` may count it."""
    return PlanProgress(
        plan=found,
        as_of=now,
        targets=[_progress(host, conn, actor, item, now, settings) for item in found.targets],
    )
