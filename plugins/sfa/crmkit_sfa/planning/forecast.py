"""The forecast of a period: pipeline, weighted pipeline, commit and best case, and their weekly change.

An open opportunity counts in the period of its expected close date, a won one in
the period it was won. Commit and best case take the open opportunities at least
as likely as the configured probabilities, plus what is already won. Every
week a job keeps a snapshot per owner, territory and currency, so that the
change since last week can be told for any scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import (
    ColumnElement,
    Connection,
    case,
    exists,
    func,
    insert,
    literal,
    select,
)

from crmkit import Crm, utcnow
from crmkit_sfa.pipeline.tables import opportunity
from crmkit_sfa.planning.money import money
from crmkit_sfa.planning.periods import Period, period_of, week_start
from crmkit_sfa.planning.scopes import Scope, opportunity_terms, scope_terms
from crmkit_sfa.planning.settings import PlanningSettings
from crmkit_sfa.planning.tables import forecast_snapshot


@frozen
class Figures:
    """One currency's forecast figures for a period."""

    currency: str
    open_count: int
    pipeline: Decimal
    weighted: Decimal
    commit: Decimal
    best_case: Decimal
    won: Decimal

    @classmethod
    def empty(cls, currency: str) -> Figures:
        nothing = money(0, currency)
        return cls(currency, 0, nothing, nothing, nothing, nothing, nothing)

    def minus(self, earlier: Figures) -> Change:
        return Change(
            pipeline=self.pipeline - earlier.pipeline,
            weighted=self.weighted - earlier.weighted,
            commit=self.commit - earlier.commit,
            best_case=self.best_case - earlier.best_case,
            won=self.won - earlier.won,
        )


@frozen
class Change:
    """How much each figure moved since the snapshot it is compared with."""

    pipeline: Decimal
    weighted: Decimal
    commit: Decimal
    best_case: Decimal
    won: Decimal


@frozen
class CurrencyForecast:
    """The figures of one currency now, and their change since last week's snapshot (if any)."""

    figures: Figures
    change: Change | None


@frozen
class Forecast:
    """A period's forecast for a scope, one entry per currency (amounts are never converted)."""

    period: str
    scope: str
    scope_key: str
    compared_with: date | None
    """The day of the snapshot the changes are measured against; None: no snapshot last week."""
    currencies: list[CurrencyForecast]


def _open_terms(period: Period) -> list[ColumnElement[bool]]:
    return [
        opportunity.c.status == "open",
        opportunity.c.expected_close >= period.start,
        opportunity.c.expected_close < period.end,
    ]


def _won_terms(period: Period) -> list[ColumnElement[bool]]:
    return [
        opportunity.c.status == "won",
        opportunity.c.closed_at >= period.starts_at,
        opportunity.c.closed_at < period.ends_at,
    ]


def _open_sums(
    conn: Connection,
    period: Period,
    where: Sequence[ColumnElement[bool]],
    settings: PlanningSettings,
    by: Sequence[Any],
) -> dict[tuple[Any, ...], dict[str, Any]]:

    def amount_when(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, opportunity.c.amount), else_=literal(0)))

    rows = conn.execute(
        select(
            *by,
            func.count().label("open_count"),
            func.sum(opportunity.c.amount).label("pipeline"),
            func.sum(opportunity.c.amount * opportunity.c.probability).label("weighted_percent"),
            amount_when(opportunity.c.probability >= settings.commit_probability).label("commit"),
            amount_when(opportunity.c.probability >= settings.best_case_probability).label(
                "best_case"
            ),
        )
        .where(*_open_terms(period), *where)
        .group_by(*by)
    )
    return {
        tuple(row[: len(by)]): {
            "open_count": row.open_count,
            "pipeline": money(row.pipeline, row.currency),
            # Probabilities are whole percent: one division at the end keeps the amount exact.
            "weighted": money(Decimal(str(row.weighted_percent or 0)) / 100, row.currency),
            "commit": money(row.commit, row.currency),
            "best_case": money(row.best_case, row.currency),
        }
        for row in rows
    }


def _won_sums(
    conn: Connection, period: Period, where: Sequence[ColumnElement[bool]], by: Sequence[Any]
) -> dict[tuple[Any, ...], Decimal]:
    rows = conn.execute(
        select(*by, func.sum(opportunity.c.amount).label("won"))
        .where(*_won_terms(period), *where)
        .group_by(*by)
    )
    return {tuple(row[: len(by)]): money(row.won, row.currency) for row in rows}


def _figures(
    conn: Connection,
    period: Period,
    where: Sequence[ColumnElement[bool]],
    settings: PlanningSettings,
    by: Sequence[Any],
) -> dict[tuple[Any, ...], Figures]:
    """Figures per group ``by`` (whose last column is the currency)."""
    open_sums = _open_sums(conn, period, where, settings, by)
    won_sums = _won_sums(conn, period, where, by)
    figures = {}
    for group in sorted(open_sums.keys() | won_sums.keys(), key=repr):
        currency = group[-1]
        nothing = money(0, currency)
        sums = open_sums.get(group, {})
        won = won_sums.get(group, nothing)
        figures[group] = Figures(
            currency=currency,
            open_count=sums.get("open_count", 0),
            pipeline=sums.get("pipeline", nothing),
            # What is won is certain: it belongs to every category.
            weighted=sums.get("weighted", nothing) + won,
            commit=sums.get("commit", nothing) + won,
            best_case=sums.get("best_case", nothing) + won,
            won=won,
        )
    return figures


def forecast(
    conn: Connection, period: Period, scope: Scope, settings: PlanningSettings, today: date
) -> Forecast:
    """The forecast of ``period`` for ``scope``, with the change since last week's snapshot."""
    now = _figures(conn, period, opportunity_terms(scope), settings, [opportunity.c.currency])
    last_week = week_start(today) - timedelta(days=7)
    earlier = _snapshot(conn, period, scope, last_week)
    entries = []
    # A currency with nothing left this week still shows how much it fell.
    for currency in sorted({c for (c,) in now} | set(earlier or {})):
        figures = now.get((currency,), Figures.empty(currency))
        before = None if earlier is None else earlier.get(currency, Figures.empty(currency))
        entries.append(CurrencyForecast(figures, None if before is None else figures.minus(before)))
    return Forecast(
        period=period.key,
        scope=scope.kind,
        scope_key=scope.key,
        compared_with=None if earlier is None else last_week,
        currencies=entries,
    )


def _snapshot(
    conn: Connection, period: Period, scope: Scope, taken_on: date
) -> dict[str, Figures] | None:
    """The scope's figures as snapshot on ``taken_on``, per currency; None if none was taken."""
    snap = forecast_snapshot.c
    taken = conn.execute(
        select(
            exists().where(
                snap.taken_on == taken_on,
                snap.period_kind == period.kind,
                snap.period_start == period.start,
            )
        )
    ).scalar_one()
    if not taken:
        return None
    # Snapshots are kept per owner and territory, not per product: a product group's
    # change cannot be told from them.
    if scope.kind == "product_group":
        return None
    rows = conn.execute(
        select(
            snap.currency,
            func.sum(snap.open_count).label("open_count"),
            func.sum(snap.pipeline).label("pipeline"),
            func.sum(snap.weighted).label("weighted"),
            func.sum(snap.commit).label("commit"),
            func.sum(snap.best_case).label("best_case"),
            func.sum(snap.won).label("won"),
        )
        .where(
            snap.taken_on == taken_on,
            snap.period_kind == period.kind,
            snap.period_start == period.start,
            *scope_terms(scope, owner=snap.owner_id, territory=snap.territory),
        )
        .group_by(snap.currency)
    )
    return {
        row.currency: Figures(
            currency=row.currency,
            open_count=int(row.open_count),
            pipeline=money(row.pipeline, row.currency),
            weighted=money(row.weighted, row.currency),
            commit=money(row.commit, row.currency),
            best_case=money(row.best_case, row.currency),
            won=money(row.won, row.currency),
        )
        for row in rows
    }


def snapshot_periods(today: date) -> list[Period]:
    """The periods a weekly snapshot covers: this month, this and next quarter, this year."""
    quarter = period_of("quarter", today)
    return [
        period_of("month", today),
        quarter,
        period_of("quarter", quarter.end),
        period_of("year", today),
    ]


def take_snapshot(app: Crm) -> int:
    """Keep this week's forecast figures per owner, territory and currency; return rows written.

    Runs as often as scheduled but writes once per week: a week that has its
    snapshot is left alone, so a second run (or a second worker) changes nothing.
    """
    settings: PlanningSettings = app.settings_of["sfa"].planning
    today = utcnow().date()
    taken_on = week_start(today)
    written = 0
    with app.transaction() as tx:
        already = tx.conn.execute(
            select(exists().where(forecast_snapshot.c.taken_on == taken_on))
        ).scalar_one()
        if already:
            return 0
        for period in snapshot_periods(today):
            groups = _figures(
                tx.conn,
                period,
                [],
                settings,
                [opportunity.c.owner_id, opportunity.c.territory, opportunity.c.currency],
            )
            rows = [
                {
                    "taken_on": taken_on,
                    "period_kind": period.kind,
                    "period_start": period.start,
                    "owner_id": owner_id,
                    "territory": territory,
                    "currency": currency,
                    "open_count": figures.open_count,
                    "pipeline": figures.pipeline,
                    "weighted": figures.weighted,
                    "commit": figures.commit,
                    "best_case": figures.best_case,
                    "won": figures.won,
                }
                for (owner_id, territory, currency), figures in groups.items()
            ]
            if rows:
                tx.conn.execute(insert(forecast_snapshot), rows)
            written += len(rows)
    return written
