"""Sales and lead forecasts per month or quarter, set against targets and plans.

For each period:

- **sales**: revenue already won in it (the won metric) plus the open pipeline weighted by
  probability whose expected close day falls in it (the weighted-pipeline metric, a rollup by
  expected close day): the *pipeline forecast*. Beside it the *baseline*: what the history of
  won revenue says the period brings (:mod:`crmkit_analytics.forecasts.baseline`). The
  forecast is the larger of the two: deals in hand are a floor, and a period far ahead, whose
  deals are not yet in the pipeline, still brings what such a period usually brings.
- **leads**: new leads so far against the baseline of new leads per month, in total and per
  lead source; the forecast is the larger of the two.
- **targets**: every source's ``targets(conn, start, end)`` whose metric is a sales target or
  a lead goal (settings), its amount shared out over the periods by the days they overlap.
  The gap is forecast - target: below zero the period falls short.

Figures are read from the rollups alone, restricted to the rows the actor may see (the
dashboard's rule, :mod:`crmkit_analytics.dashboard.scope`); targets likewise by their
territory, team and owner.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, func, select

from crmkit import Actor, Crm, ValidationError, in_territory, sees_every_party
from crmkit_analytics.dashboard.scope import scope_of
from crmkit_analytics.dashboard.tiles import one_level
from crmkit_analytics.forecasts.baseline import Baseline, seasonal_baseline
from crmkit_analytics.forecasts.settings import ForecastsSettings
from crmkit_analytics.rollups.reading import metrics, sources
from crmkit_analytics.rollups.tables import rollup
from crmkit_analytics.sources import Target

GRAINS = ("month", "quarter")
OTHER = "other"


@frozen
class Span:
    """A period: its label (``2027-03``, ``2027-Q1``) and first and last day."""

    label: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@frozen
class SalesRow:
    period: str
    start: date
    end: date
    won: float
    weighted_pipeline: float
    pipeline_forecast: float
    """won + weighted_pipeline."""
    baseline: float
    forecast: float
    """The larger of pipeline_forecast and baseline."""
    target: float | None
    """The sales targets of the source that publishes the metric (sfa's), for the period."""
    gap: float | None
    """forecast - target; None without a target."""
    plan: float | None = None
    """The plans of other sources (campaigns' marketing plans) for the period, apart."""
    plan_gap: float | None = None
    """forecast - plan; None without a plan."""


@frozen
class LeadRow:
    period: str
    start: date
    end: date
    actual: float
    baseline: float
    forecast: float
    target: float | None
    gap: float | None
    by_source: dict[str, float]
    """The baseline of each lead source (the less frequent summed as ``other``)."""
    plan: float | None = None
    plan_gap: float | None = None


@frozen
class TargetShare:
    """A target or plan counted, and the part of it within the periods shown."""

    label: str
    kind: str
    """``sales`` or ``leads``."""
    metric: str
    starts_on: date
    ends_on: date
    amount: float
    counted: float
    role: str = "target"
    """``target`` (published by the source of its metric) or ``plan`` (another source's)."""
    source: str = ""


@frozen
class Forecast:
    grain: str
    today: date
    territory: str
    team: str
    method: str
    """How the sales baseline was made (``holt_winters``, ``seasonal_naive``, ``mean``, ``none``)."""
    sales: tuple[SalesRow, ...]
    leads: tuple[LeadRow, ...]
    targets: tuple[TargetShare, ...]


def settings_of(app: Crm) -> ForecastsSettings:
    found: ForecastsSettings = app.settings_of["analytics"].forecasts
    return found


def month_start(day: date, months: int = 0) -> date:
    """The first day of the month ``months`` after ``day``'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


FIRST_YEAR = 1900
"""The first year a forecast's history may reach back to."""


def _check_range(first: date, count: int, grain: str, history_months: int) -> None:
    """Refuse (naming ``start``) periods whose history or last period falls outside the
    calendar analytics counts in: from :data:`FIRST_YEAR` to 9999-11 (the month after the
    last is still a date)."""
    index = first.year * 12 + first.month - 1
    if grain == "quarter":
        index -= (first.month - 1) % 3
    last = index + count * (3 if grain == "quarter" else 1) - 1
    if index - history_months < FIRST_YEAR * 12:
        earliest = FIRST_YEAR + (history_months + 11) // 12
        raise ValidationError(
            "start",
            f"expected a month from {earliest}-01 (the history before it reaches {FIRST_YEAR})",
        )
    if last >= 9999 * 12 + 11:
        raise ValidationError("start", "the periods asked for run past 9999-11")


def spans(first: date, count: int, grain: str) -> list[Span]:
    """``count`` months or quarters from the one holding ``first``."""
    if grain not in GRAINS:
        raise ValidationError("grain", f"expected one of {', '.join(GRAINS)}")
    found = []
    if grain == "month":
        for k in range(count):
            start = month_start(first, k)
            found.append(Span(f"{start:%Y-%m}", start, month_end(start)))
        return found
    quarter = date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
    for k in range(count):
        start = month_start(quarter, 3 * k)
        found.append(
            Span(
                f"{start.year}-Q{(start.month - 1) // 3 + 1}",
                start,
                month_end(month_start(start, 2)),
            )
        )
    return found


def _months(start: date, end: date) -> list[date]:
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = month_start(month, 1)
    return months


def monthly(
    conn: Connection,
    metric: str,
    start: date,
    end: date,
    condition: ColumnElement[bool],
    *,
    by_dimension: bool = False,
) -> dict[tuple[date, str], tuple[float, float]]:
    """(month, dimension or "") → (count, amount) of ``metric`` from ``start`` to ``end``,
    of the rows ``condition`` keeps. One grouped range scan of the rollups."""
    columns: list[Any] = [rollup.c.day]
    if by_dimension:
        columns.append(rollup.c.dimension)
    rows = conn.execute(
        select(*columns, func.sum(rollup.c.count), func.sum(rollup.c.amount))
        .where(rollup.c.metric == metric, rollup.c.day >= start, rollup.c.day <= end, condition)
        .group_by(*columns)
    )
    found: dict[tuple[date, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        key = (month_start(row[0]), row[1] if by_dimension else "")
        found[key][0] += float(row[-2] or 0)
        found[key][1] += float(row[-1] or 0)
    return {key: (value[0], value[1]) for key, value in found.items()}


def _series(values: dict[date, float], months: list[date]) -> list[float]:
    """The monthly series over ``months``, leading months before the first figure left out."""
    series = [values.get(month, 0.0) for month in months]
    first = next((i for i, v in enumerate(series) if v != 0.0), len(series))
    return series[first:]


def _per_span(monthly_values: Iterable[float], months: list[date], span: Span) -> float:
    return sum(
        v for v, m in zip(monthly_values, months, strict=True) if span.start <= m <= span.end
    )


def _sees_target(actor: Actor, target: Target, sees_all: bool, territory: str, team: str) -> bool:
    if territory:
        key = target.territory if "-" in target.territory else f"{target.territory}-"
        if not target.territory or not in_territory(key, [territory]):
            return False
    if team and target.team != team:
        return False
    if sees_all:
        return True
    if target.owner_id is not None and target.owner_id == actor.user_id:
        return True
    if target.territory:
        key = target.territory if "-" in target.territory else f"{target.territory}-"
        if in_territory(key, actor.territories):
            return True
    return actor.role == "manager" and bool(actor.team) and target.team == actor.team


def _targets(
    app: Crm,
    conn: Connection,
    actor: Actor,
    settings: ForecastsSettings,
    first: date,
    last: date,
    sees_all: bool,
    territory: str,
    team: str,
) -> list[tuple[str, str, str, Target]]:
    """The sales targets (amounts) and lead goals (counts) the actor sees as (kind, role,
    source name, target). ``role`` is ``target`` when the source publishing it also publishes its metric
    (sfa's sales targets against ``sfa.orders``) and ``plan`` otherwise (campaigns' marketing
    plans): the two are shown and gapped side by side, never summed. Of each source and kind,
    the most general level the actor sees only (``one_level``, as the dashboard does), so that
    no target is counted twice and no source's targets hide another's."""
    owners = {name: source.name for name, (source, _) in metrics(app).items()}
    chosen: list[tuple[str, str, str, Target]] = []
    for source in sources(app):
        if source.targets is None:
            continue
        found: dict[str, list[Target]] = {"sales": [], "leads": []}
        for target in source.targets(conn, first, last):
            if target.metric in settings.sales_targets and target.measure == "amount":
                kind = "sales"
            elif target.metric in settings.lead_targets and target.measure == "count":
                kind = "leads"
            else:
                continue
            if _sees_target(actor, target, sees_all, territory, team):
                found[kind].append(target)
        for kind, targets in found.items():
            for target in one_level(targets):
                role = "target" if owners.get(target.metric) == source.name else "plan"
                chosen.append((kind, role, source.name, target))
    return chosen


def _planned(
    targets: list[tuple[str, str, str, Target]], kind: str, span: Span
) -> tuple[float | None, float | None]:
    """The targets and the plans of ``kind`` within ``span`` (None where none covers it)."""
    found: dict[str, float | None] = {"target": None, "plan": None}
    for each_kind, role, _, target in targets:
        if each_kind == kind and target.starts_on <= span.end and target.ends_on >= span.start:
            found[role] = (found[role] or 0.0) + _share(target, span)
    return found["target"], found["plan"]


def _share(target: Target, span: Span) -> float:
    """The part of ``target`` falling within ``span``, by days."""
    start, end = max(target.starts_on, span.start), min(target.ends_on, span.end)
    if end < start:
        return 0.0
    days = (target.ends_on - target.starts_on).days + 1
    return target.amount * ((end - start).days + 1) / days


def forecast(
    app: Crm,
    conn: Connection,
    actor: Actor,
    *,
    today: date,
    first: date | None = None,
    periods: int | None = None,
    grain: str = "month",
    territory: str = "",
    team: str = "",
) -> Forecast:
    """The forecast of ``periods`` months or quarters from the one holding ``first`` (default:
    today's), as ``actor`` may see it, narrowed to ``territory`` and ``team`` when given."""
    settings = settings_of(app)
    count = settings.periods if periods is None else periods
    if not 1 <= count <= 36:
        raise ValidationError("periods", "expected 1 to 36 periods")
    _check_range(first or today, count, grain, settings.history_months)
    shown = spans(first or today, count, grain)
    scope = scope_of(app.host, actor, rollup, territory, team)
    start, end = shown[0].start, shown[-1].end
    history_start = month_start(start, -settings.history_months)
    history_months = _months(history_start, start - timedelta(days=1))
    ahead = _months(start, end)

    won = monthly(conn, settings.won_metric, history_start, end, scope.condition)
    weighted = monthly(conn, settings.weighted_metric, start, end, scope.condition)
    won_history = _series({m: a for (m, _), (_, a) in won.items() if m < start}, history_months)
    sales_baseline = seasonal_baseline(won_history, len(ahead), method=settings.method)

    leads = monthly(
        conn, settings.lead_metric, history_start, end, scope.condition, by_dimension=True
    )
    lead_totals: dict[date, float] = defaultdict(float)
    per_source: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for (month, source), (number, _) in leads.items():
        lead_totals[month] += number
        if month < start:
            per_source[source][month] += number
    lead_baseline = seasonal_baseline(
        _series({m: v for m, v in lead_totals.items() if m < start}, history_months),
        len(ahead),
        method=settings.method,
    )
    ranked = sorted(per_source, key=lambda s: (-sum(per_source[s].values()), s))
    named = ranked[: settings.lead_sources_shown]
    if len(ranked) > len(named):
        other: dict[date, float] = defaultdict(float)
        for source in ranked[len(named) :]:
            for month, number in per_source[source].items():
                other[month] += number
        per_source[OTHER] = other
        named.append(OTHER)
    source_baselines: dict[str, Baseline] = {
        source: seasonal_baseline(
            _series(per_source[source], history_months), len(ahead), method=settings.method
        )
        for source in named
    }

    targets = _targets(
        app, conn, actor, settings, start, end, scope.sees_all, scope.territory, scope.team
    )
    sales_rows, lead_rows = [], []
    for span in shown:
        won_in = sum(a for (m, _), (_, a) in won.items() if span.start <= m <= span.end)
        open_in = sum(a for (m, _), (_, a) in weighted.items() if span.start <= m <= span.end)
        base = _per_span(sales_baseline.values, ahead, span)
        best = max(won_in + open_in, base)
        target, plan = _planned(targets, "sales", span)
        sales_rows.append(
            SalesRow(
                period=span.label,
                start=span.start,
                end=span.end,
                won=won_in,
                weighted_pipeline=open_in,
                pipeline_forecast=won_in + open_in,
                baseline=base,
                forecast=best,
                target=target,
                gap=None if target is None else best - target,
                plan=plan,
                plan_gap=None if plan is None else best - plan,
            )
        )
        actual = sum(v for m, v in lead_totals.items() if span.start <= m <= span.end)
        lead_base = _per_span(lead_baseline.values, ahead, span)
        lead_best = max(actual, lead_base)
        goal, lead_plan = _planned(targets, "leads", span)
        lead_rows.append(
            LeadRow(
                period=span.label,
                start=span.start,
                end=span.end,
                actual=actual,
                baseline=lead_base,
                forecast=lead_best,
                target=goal,
                gap=None if goal is None else lead_best - goal,
                by_source={
                    source: _per_span(baseline.values, ahead, span)
                    for source, baseline in source_baselines.items()
                },
                plan=lead_plan,
                plan_gap=None if lead_plan is None else lead_best - lead_plan,
            )
        )
    shares = tuple(
        TargetShare(
            label=t.label,
            kind=kind,
            metric=t.metric,
            starts_on=t.starts_on,
            ends_on=t.ends_on,
            amount=t.amount,
            counted=sum(_share(t, span) for span in shown),
            role=role,
            source=name,
        )
        for kind, role, name, t in targets
    )
    return Forecast(
        grain=grain,
        today=today,
        territory=scope.territory,
        team=scope.team,
        method=sales_baseline.method,
        sales=tuple(sales_rows),
        leads=tuple(lead_rows),
        targets=shares,
    )


def sees_everything(app: Crm, actor: Actor) -> bool:
    return sees_every_party(app.host, actor)
