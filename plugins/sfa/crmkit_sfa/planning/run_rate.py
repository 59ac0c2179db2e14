"""The run-rate alert: a target that today's pace will miss, with the deals most likely to close the gap."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from attrs import frozen
from sqlalchemy import Connection, select

from crmkit import Crm, user_table, utcnow
from crmkit_sfa.pipeline.tables import opportunity
from crmkit_sfa.planning.alerts import Alert, raise_alerts
from crmkit_sfa.planning.money import money
from crmkit_sfa.planning.periods import PERIOD_KINDS, period_of
from crmkit_sfa.planning.scopes import opportunity_terms
from crmkit_sfa.planning.settings import PlanningSettings
from crmkit_sfa.planning.targets import (
    Attainment,
    Target,
    attainment,
    list_targets,
    period_of_target,
)


@frozen
class GapCloser:
    """An open opportunity that could close a target's gap before the period ends."""

    id: int
    title: str
    amount: Decimal
    currency: str
    probability: int


def gap_closers(
    conn: Connection, result: Attainment, today: date, settings: PlanningSettings
) -> list[GapCloser]:
    """The scope's open deals expected to close in the rest of the period, likeliest and largest first.

    Taken until they would cover the gap (in amount, or one order each for a
    count), at most ``gap_opportunities`` of them.
    """
    item = result.target
    period = period_of_target(item)
    terms = [
        opportunity.c.status == "open",
        opportunity.c.expected_close >= today,
        opportunity.c.expected_close < period.end,
        *opportunity_terms(item.sold_by()),
    ]
    if item.measure == "amount":
        terms += [opportunity.c.currency == item.currency, opportunity.c.amount > 0]
    rows = conn.execute(
        select(
            opportunity.c.id,
            opportunity.c.title,
            opportunity.c.amount,
            opportunity.c.currency,
            opportunity.c.probability,
        )
        .where(*terms)
        .order_by(opportunity.c.probability.desc(), opportunity.c.amount.desc(), opportunity.c.id)
        .limit(settings.gap_opportunities)
    )
    closers: list[GapCloser] = []
    covered = Decimal(0)
    for row in rows:
        if covered >= result.gap:
            break
        amount = money(row.amount, row.currency)
        closers.append(GapCloser(row.id, row.title, amount, row.currency, row.probability))
        covered += amount if item.measure == "amount" else 1
    return closers


def _recipients(conn: Connection, owner_id: int) -> list[int]:
    """The target's owner and, when they have one, their manager."""
    manager = conn.execute(
        select(user_table.c.manager_id).where(user_table.c.id == owner_id)
    ).scalar()
    return [owner_id] if manager is None else [owner_id, manager]


def _describe(item: Target) -> str:
    whose = {
        "user": "user",
        "team": "team",
        "territory": "territory",
        "product_group": "product group",
    }
    return f"the {item.period} target of {whose[item.scope]} {item.scope_key}"


def _amount(value: Decimal, item: Target) -> str:
    return f"{value:,} {item.currency}" if item.measure == "amount" else f"{value:,} orders"


def run_rate_alerts(
    conn: Connection, result: Attainment, today: date, settings: PlanningSettings
) -> list[Alert]:
    """Alerts to the owner and their manager when ``result`` will miss its target; else none."""
    item = result.target
    period = period_of_target(item)
    elapsed_percent = period.elapsed_days(today) * 100 / period.days
    if (
        result.on_track
        or item.owner_id is None
        or elapsed_percent < settings.run_rate_after_percent
    ):
        return []
    closers = gap_closers(conn, result, today, settings)
    if closers:
        action = "work the deals most likely to close the gap: " + "; ".join(
            f"{c.title} ({c.probability}%, {c.amount:,} {c.currency})" for c in closers
        )
    else:
        action = "find new business: no open deal is expected to close in the rest of the period"
    title = f"At this pace {_describe(item)} will be missed"
    details = (
        f"Sold {_amount(result.actual, item)} of {_amount(item.value, item)} "
        f"({result.attainment_percent}%), heading for {_amount(result.projected, item)}; "
        f"the gap is {_amount(result.gap, item)}."
    )
    return [
        Alert(
            kind="target_at_risk",
            subject_id=item.id,
            since=period.starts_at,
            user_id=user_id,
            title=title,
            details=details,
            next_action=action,
            link=f"/p/sfa/planning/targets?period={item.period}",
        )
        for user_id in _recipients(conn, item.owner_id)
    ]


def current_targets(conn: Connection, today: date) -> list[Target]:
    """The targets of every period under way: this month, this quarter, this year."""
    return [t for kind in PERIOD_KINDS for t in list_targets(conn, period=period_of(kind, today))]


def check_run_rates(app: Crm) -> int:
    """The scheduled job: alert about every target under way that its run-rate says will be missed."""
    settings: PlanningSettings = app.settings_of["sfa"].planning
    today = utcnow().date()
    with app.transaction() as tx:
        found = [
            alert
            for item in current_targets(tx.conn, today)
            for alert in run_rate_alerts(tx.conn, attainment(tx.conn, item, today), today, settings)
        ]
        return raise_alerts(tx, found)
