"""The dashboard's tiles: figures summed from ``analytics_rollup`` for a period and scope.

Every figure is one grouped, indexed range query of the rollup table (never the sources'
own tables), restricted to the rows the actor may count (:mod:`.scope`). A tile appears only
when a source publishes at least one metric it reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from attrs import field, frozen
from sqlalchemy import Connection, func, select

from crmkit import Actor, in_territory, utcnow
from crmkit_analytics.dashboard.roles import ROLES
from crmkit_analytics.dashboard.scope import FIRST_DAY, Period, Scope
from crmkit_analytics.rollups.tables import rollup
from crmkit_analytics.sources import FactSource, Metric, Target

DRILL_PAGE = "/p/analytics/drill"
AGE_LIMITS = (2, 7, 30, 90)
"""Upper limits (days) of the age bands of open leads."""
EARLIEST = FIRST_DAY
"""The first day of a drill into the oldest age band."""


@frozen
class Figure:
    """One number: its label, value, unit (``count``, ``percent``, ``nps`` or an amount's),
    the list behind it, its value in the previous period when comparing, and its target."""

    label: str
    value: float | None
    """None: nothing was measured (a rate whose denominator is zero: no SLA clock stopped,
    no NPS answer), shown as a dash, never as 0."""
    unit: str = "count"
    drill: str | None = None
    previous: float | None = None
    target: float | None = None
    """What the sources' targets and plans set for the period (prorated), if any."""


@frozen
class Chart:
    """A chart of a tile: ``bars`` (one per figure), ``line`` (figures in time order, with a
    second series ``against`` such as a target) or ``gauge`` (one figure on a scale)."""

    title: str
    kind: str
    figures: tuple[Figure, ...]
    against: tuple[Figure, ...] = ()
    against_label: str = ""
    low: float = 0.0
    high: float = 100.0


@frozen
class Tile:
    """A tile as the page shows it and the API answers it."""

    name: str
    title: str
    start: date
    end: date
    headline: tuple[Figure, ...]
    charts: tuple[Chart, ...]
    previous_start: date | None = None
    previous_end: date | None = None
    notes: tuple[str, ...] = ()


@frozen
class Context:
    """What a tile is computed from."""

    conn: Connection
    actor: Actor
    scope: Scope
    period: Period
    compare: bool
    metrics: Mapping[str, tuple[FactSource, Metric]]
    names: Mapping[str, str]
    """Metric name per role (defaults and settings)."""
    sources: tuple[FactSource, ...] = field(factory=tuple)
    today: date = field(factory=lambda: utcnow().date())
    age_limits: tuple[int, ...] = AGE_LIMITS
    cache: dict[tuple[Any, ...], Any] = field(factory=dict, eq=False, repr=False)
    """Sums and targets already read while building the page."""

    def metric(self, role: str) -> Metric | None:
        found = self.metrics.get(self.names[role])
        return found[1] if found else None

    @property
    def previous(self) -> Period | None:
        return self.period.previous() if self.compare else None

    @property
    def past(self) -> bool:
        """Whether the period ended before today: a stock (what is open) is known as of
        today only, so it has no value for such a period."""
        return self.period.end < self.today


STOCKS_SHOWN = {"leads": ("lead_age", "lead_uncontacted"), "service": ("cases_open",)}
"""The stock roles each tile shows."""
STOCK_NOTE = (
    "Open figures (backlog, ages) are as of today: a period that ended before today, and "
    "the period before when comparing, show none."
)


# --- reading the rollups


def cells(
    ctx: Context, metric: str, start: date | None, end: date
) -> list[tuple[str, str, int, float]]:
    """The metric's cells in scope from ``start`` (None: the beginning, for a stock) to
    ``end``, summed per day and dimension: one range of the (metric, day, dimension …) index,
    read once per page whatever the tile groups them by."""
    wanted = ("cells", metric, start, end)
    if wanted not in ctx.cache:
        query = (
            select(
                rollup.c.day,
                rollup.c.dimension,
                func.coalesce(func.sum(rollup.c.count), 0),
                func.coalesce(func.sum(rollup.c.amount), 0.0),
            )
            .where(rollup.c.metric == metric, rollup.c.day <= end, ctx.scope.condition)
            .group_by(rollup.c.day, rollup.c.dimension)
        )
        if start is not None:
            query = query.where(rollup.c.day >= start)
        ctx.cache[wanted] = [
            (str(d)[:10], str(k), int(c or 0), float(a or 0.0))
            for d, k, c, a in ctx.conn.execute(query)
        ]
    found: list[tuple[str, str, int, float]] = ctx.cache[wanted]
    return found


def sums(
    ctx: Context, metric: str, start: date | None, end: date, by: str | None = None
) -> dict[str, tuple[int, float]]:
    """Count and amount of ``metric`` per ``by`` (``dimension``, ``day``, ``month`` or None:
    one total under ""), from ``start`` (None: the beginning, for a stock) to ``end``, in
    scope; from :func:`cells`, so that a tile costs one range scan per metric it shows."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for day, dimension, count, amount in cells(ctx, metric, start, end):
        key = {"day": day, "month": day[:7], "dimension": dimension}.get(by or "", "")
        cell = totals[key]
        cell[0] += count
        cell[1] += amount
    if by is None and not totals:
        totals[""] = [0, 0.0]
    return {k: (int(c), a) for k, (c, a) in totals.items()}


def _value(metric: Metric, cell: tuple[int, float]) -> float:
    return float(cell[0]) if metric.unit == "count" else cell[1]


def drill_url(ctx: Context, metric: Metric, start: date, end: date, dimension: str = "") -> str:
    """The list behind a figure. A source that keeps its records (``facts``): the dashboard's
    drill page, which lists those records filtered exactly as the figure is summed (period,
    dimension, territory, team, the actor's scope), each linking to its own page; the
    owning plugins' lists filter by none of these. Otherwise the source's ``drill`` with the
    same filters, else the drill page's list of the rollup cells."""
    found = ctx.metrics.get(metric.name)
    keeps_records = found is not None and found[0].facts is not None
    if metric.drill is not None and not keeps_records:
        return metric.drill(
            dimension=dimension,
            start=start,
            end=end,
            territory=ctx.scope.territory,
            team=ctx.scope.team,
        )
    query = {"metric": metric.name, "start": start.isoformat(), "end": end.isoformat()}
    for name, value in (
        ("dimension", dimension),
        ("territory", ctx.scope.territory),
        ("team", ctx.scope.team),
    ):
        if value:
            query[name] = value
    return f"{DRILL_PAGE}?{urlencode(query)}"


def _window(ctx: Context, role: str, period: Period) -> tuple[date | None, date]:
    # A stock is kept on the day each record came in, never later than today.
    if ROLES[role].stock:
        return None, min(period.end, ctx.today)
    return period.start, period.end


def _drill_window(ctx: Context, role: str) -> tuple[date, date]:
    # The records a stock holds came in any day up to the one it is read on.
    if ROLES[role].stock:
        return EARLIEST, min(ctx.period.end, ctx.today)
    return ctx.period.start, ctx.period.end


def by_dimension(ctx: Context, role: str) -> tuple[Figure, ...]:
    """One figure per dimension of a role's metric, largest first."""
    metric = ctx.metric(role)
    if metric is None:
        return ()
    stock = ROLES[role].stock
    if stock and ctx.past:
        return ()
    start, end = _window(ctx, role, ctx.period)
    now = sums(ctx, metric.name, start, end, "dimension")
    before: dict[str, tuple[int, float]] = {}
    previous = None if stock else ctx.previous
    if previous is not None:
        before = sums(ctx, metric.name, *_window(ctx, role, previous), "dimension")
    figures = []
    for dimension in set(now) | set(before):
        cell = now.get(dimension, (0, 0.0))
        if cell == (0, 0.0) and not ROLES[role].stock and dimension not in before:
            continue
        figures.append(
            Figure(
                label=dimension or "(none)",
                value=_value(metric, cell),
                unit=metric.unit,
                drill=drill_url(ctx, metric, *_drill_window(ctx, role), dimension),
                previous=(
                    _value(metric, before.get(dimension, (0, 0.0)))
                    if previous is not None
                    else None
                ),
            )
        )
    if ROLES[role].stock:
        figures = [f for f in figures if f.value or f.previous]
    return tuple(sorted(figures, key=lambda f: (-_of(f), f.label)))


def total(ctx: Context, role: str, label: str | None = None) -> Figure | None:
    """The role's metric summed over the period; for a stock, what is open today (no value,
    and no list, for a period that ended before today)."""
    metric = ctx.metric(role)
    if metric is None:
        return None
    stock = ROLES[role].stock
    start, end = _window(ctx, role, ctx.period)
    value: float | None = _value(metric, sums(ctx, metric.name, start, end).get("", (0, 0.0)))
    if stock and ctx.past:
        value = None  # what was open then is not kept: only what is open today
    previous = None
    if ctx.previous is not None and not stock:
        cell = sums(ctx, metric.name, *_window(ctx, role, ctx.previous)).get("", (0, 0.0))
        previous = _value(metric, cell)
    planned = targets_in_scope(ctx, metric, ctx.period.start, ctx.period.end)
    return Figure(
        label=label or metric.label,
        value=value,
        unit=metric.unit,
        drill=None if value is None else drill_url(ctx, metric, *_drill_window(ctx, role)),
        previous=previous,
        target=round(prorated(planned, ctx.period.start, ctx.period.end), 2) if planned else None,
    )


def age_bands(limits: Sequence[int]) -> list[tuple[str, int, int | None]]:
    """Bands of age in days from their upper limits: ``[2, 7]`` gives 0-2, 3-7, over 7."""
    bands: list[tuple[str, int, int | None]] = []
    low = 0
    for high in limits:
        bands.append((f"{low}-{high} days", low, high))
        low = high + 1
    bands.append((f"over {low - 1} days" if limits else "any age", low, None))
    return bands


def by_age(ctx: Context, role: str) -> tuple[Figure, ...]:
    """A stock metric kept on the day each record came in (open leads), as age bands on the
    period's last day (or today, when that is later): how perishable the open leads are."""
    metric = ctx.metric(role)
    if metric is None or ctx.past:
        return ()
    on = ctx.today
    per_day = sums(ctx, metric.name, None, on, "day")
    figures = []
    for label, low, high in age_bands(ctx.age_limits):
        newest = on - timedelta(days=low)
        oldest = None if high is None else on - timedelta(days=high)
        cells = [
            v
            for k, v in per_day.items()
            if date.fromisoformat(k[:10]) <= newest
            and (oldest is None or date.fromisoformat(k[:10]) >= oldest)
        ]
        value = _value(metric, (sum(c for c, _ in cells), sum(a for _, a in cells)))
        figures.append(
            Figure(
                label=label,
                value=value,
                unit=metric.unit,
                drill=drill_url(ctx, metric, oldest or EARLIEST, newest),
            )
        )
    return tuple(figures)


def buckets(period: Period) -> tuple[str, Callable[[date], date]]:
    """How a line chart over ``period`` is cut: days up to a month, weeks up to a quarter, months."""
    if period.days <= 31:
        return "day", lambda d: d
    if period.days <= 93:
        return "week", lambda d: d - timedelta(days=d.weekday())
    return "month", lambda d: d.replace(day=1)


def over_time(ctx: Context, role: str) -> tuple[Figure, ...]:
    """A flow metric per day, week or month of the period, every bucket present."""
    metric = ctx.metric(role)
    if metric is None:
        return ()
    _, first_of = buckets(ctx.period)
    found = sums(ctx, metric.name, ctx.period.start, ctx.period.end, "day")
    per: dict[date, list[float]] = {}
    day = ctx.period.start
    while day <= ctx.period.end:
        per.setdefault(first_of(day), [0, 0.0])
        day += timedelta(days=1)
    for key, (count, amount) in found.items():
        cell = per[first_of(date.fromisoformat(key[:10]))]
        cell[0] += count
        cell[1] += amount
    figures = []
    for first, (total_count, total_amount) in sorted(per.items()):
        last = min(_bucket_end(first, ctx.period), ctx.period.end)
        figures.append(
            Figure(
                label=first.isoformat(),
                value=_value(metric, (int(total_count), total_amount)),
                unit=metric.unit,
                drill=drill_url(ctx, metric, max(first, ctx.period.start), last),
            )
        )
    return tuple(figures)


def _bucket_end(first: date, period: Period) -> date:
    kind, _ = buckets(period)
    if kind == "day":
        return first
    if kind == "week":
        return first + timedelta(days=6)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def ratio(part: float, whole: float) -> float | None:
    """``part`` in percent of ``whole``, to a tenth; None when ``whole`` is zero (nothing
    measured: a rate of nothing is no value, neither 0 nor 100)."""
    return round(100.0 * part / whole, 1) if whole else None


def _of(figure: Figure) -> float:
    return figure.value or 0.0


# --- targets


def _target_visible(ctx: Context, target: Target) -> bool:
    scope = ctx.scope
    if scope.territory and not in_territory(target.territory, [scope.territory]):
        return False
    if scope.team and target.team != scope.team:
        return False
    if scope.sees_all:
        return True
    actor = ctx.actor
    if target.owner_id is not None and target.owner_id == actor.user_id:
        return True
    if target.territory and in_territory(target.territory, actor.territories):
        return True
    return actor.role == "manager" and bool(actor.team) and target.team == actor.team


def target_level(target: Target) -> tuple[int, bool]:
    """How general a target is: the whole company (0), a territory (1), a team (2), one
    owner (3); a target of one dimension (a product group, a campaign) after the one of the
    whole metric at the same level."""
    if target.owner_id is not None:
        rank = 3
    elif target.team:
        rank = 2
    elif target.territory:
        rank = 1
    else:
        rank = 0
    return rank, bool(target.dimension)


def one_level(found: Iterable[Target]) -> list[Target]:
    """The targets of one source at its most general level only: a source that publishes a
    figure at several levels (a team's target and its members', a company plan and a
    territory's part of it) states the same plan more than once, so summing every level
    would count it twice."""
    found = list(found)
    if not found:
        return []
    level = min(target_level(t) for t in found)
    return [t for t in found if target_level(t) == level]


def targets_in_scope(
    ctx: Context, metric: Metric, start: date, end: date, *, source: str | None = None
) -> list[Target]:
    """The targets set against ``metric`` as a whole (its count, or its amount for an amount
    metric) for days from ``start`` to ``end``, in scope; only ``source``'s when given. Of
    each source, the most general level the actor sees (:func:`one_level`). Read once per
    figure: a source's ``targets`` may query its tables."""
    measure = "count" if metric.unit == "count" else "amount"
    found = []
    for each in ctx.sources:
        if each.targets is None or (source is not None and each.name != source):
            continue
        read = ("targets", each.name, start, end)
        if read not in ctx.cache:
            ctx.cache[read] = list(each.targets(ctx.conn, start, end))
        found += one_level(
            t
            for t in ctx.cache[read]
            if t.metric == metric.name
            and t.measure == measure
            and not t.dimension
            and _target_visible(ctx, t)
        )
    return found


def prorated(found: Iterable[Target], start: date, end: date) -> float:
    """The planned amount for the days from ``start`` to ``end``: each target by the share of
    its days that fall within them."""
    planned = 0.0
    for target in found:
        shared = (min(end, target.ends_on) - max(start, target.starts_on)).days + 1
        length = (target.ends_on - target.starts_on).days + 1
        if shared > 0 and length > 0:
            planned += target.amount * shared / length
    return planned


# --- the tiles


def pipeline_tile(ctx: Context) -> Tile:
    stages = by_dimension(ctx, "pipeline")
    headline = [
        f
        for f in (
            total(ctx, "pipeline", "Open pipeline"),
            total(ctx, "weighted_pipeline", "Weighted"),
            total(ctx, "won", "Won"),
        )
        if f
    ]
    chart = Chart("Open deals by stage, expected to close in the period", "bars", stages)
    return _tile(ctx, "pipeline", "Pipeline by stage", headline, [chart])


def leads_tile(ctx: Context) -> Tile:
    charts = []
    if ctx.metric("leads"):
        charts.append(Chart("New leads by source", "bars", by_dimension(ctx, "leads")))
    if ctx.metric("lead_age"):
        charts.append(Chart("Open leads by age", "bars", by_age(ctx, "lead_age")))
    headline = [
        f
        for f in (
            total(ctx, "leads", "New leads"),
            total(ctx, "lead_age", "Open leads today"),
            total(ctx, "lead_uncontacted", "Not yet contacted today"),
        )
        if f
    ]
    return _tile(ctx, "leads", "Leads by source and age", headline, charts)


def campaigns_tile(ctx: Context) -> Tile:
    figures = {
        role: by_dimension(ctx, role)
        for role in (
            "campaign_sent",
            "campaign_responses",
            "campaign_conversions",
            "campaign_revenue",
            "campaign_cost",
        )
    }
    headline = [
        f
        for f in (
            total(ctx, "campaign_sent", "Sent"),
            total(ctx, "campaign_responses", "Responses"),
            total(ctx, "campaign_conversions", "Conversions"),
            total(ctx, "campaign_revenue", "Revenue"),
            total(ctx, "campaign_cost", "Cost"),
        )
        if f
    ]
    charts = []
    if figures["campaign_responses"]:
        charts.append(Chart("Responses by campaign", "bars", figures["campaign_responses"]))
    cost = {f.label: f for f in figures["campaign_cost"]}
    revenue = {f.label: f for f in figures["campaign_revenue"]}
    if cost and revenue:
        roi = [
            Figure(
                label=name,
                value=ratio(_of(revenue[name]) - _of(cost[name]), _of(cost[name])),
                unit="percent",
                drill=revenue[name].drill,
            )
            for name in sorted(set(cost) & set(revenue))
            if cost[name].value
        ]
        charts.append(Chart("ROI by campaign", "bars", tuple(sorted(roi, key=lambda f: -_of(f)))))
        spent = sum(_of(f) for f in cost.values())
        earned = sum(_of(f) for f in revenue.values())
        headline.append(Figure("ROI", ratio(earned - spent, spent), "percent"))
    return _tile(ctx, "campaigns", "Campaign results and ROI", headline, charts)


def service_tile(ctx: Context) -> Tile:
    charts = []
    if ctx.metric("cases_opened"):
        closed = over_time(ctx, "cases_closed") if ctx.metric("cases_closed") else ()
        opened = over_time(ctx, "cases_opened")
        charts.append(Chart("Cases opened (and resolved)", "line", opened, closed, "resolved"))
    if ctx.metric("cases_open"):
        charts.append(Chart("Open cases by age", "bars", by_age(ctx, "cases_open")))
    headline = [
        f
        for f in (
            total(ctx, "cases_opened", "Opened"),
            total(ctx, "cases_closed", "Resolved"),
            total(ctx, "cases_open", "Open now"),
        )
        if f
    ]
    met, breached = total(ctx, "sla_met"), total(ctx, "sla_breached")
    if met is not None and breached is not None:
        compliance = ratio(_of(met), _of(met) + _of(breached))
        previous = None
        if met.previous is not None and breached.previous is not None:
            previous = ratio(met.previous, met.previous + breached.previous)
        figure = Figure("SLA compliance", compliance, "percent", breached.drill, previous)
        headline.append(figure)
        charts.append(Chart("SLA compliance", "gauge", (figure,), low=0, high=100))
    if ctx.metric("cases_opened"):
        charts.append(Chart("Cases opened by category", "bars", by_dimension(ctx, "cases_opened")))
    return _tile(ctx, "service", "Service load and SLA", headline, charts)


def nps_of(promoters: float, passives: float, detractors: float) -> float | None:
    """(promoters - detractors) / answers x 100, rounded to a tenth; None without answers."""
    return ratio(promoters - detractors, promoters + passives + detractors)


NPS_ROLES = ("promoters", "passives", "detractors")


def nps_tile(ctx: Context) -> Tile:
    counted = [
        total(ctx, role, role.capitalize()) or Figure(role.capitalize(), 0.0) for role in NPS_ROLES
    ]
    score = nps_of(*(_of(f) for f in counted))
    previous = None
    if ctx.previous is not None:
        before = [f.previous or 0.0 for f in counted]
        previous = nps_of(*before) if sum(before) else None
    drill = counted[0].drill
    figure = Figure("NPS", score, "nps", drill, previous)
    answers = Figure("Answers", sum(_of(f) for f in counted), "count", drill)
    per_survey: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for i, role in enumerate(NPS_ROLES):
        for f in by_dimension(ctx, role):
            per_survey[f.label][i] = _of(f)
    surveys = sorted(
        (Figure(name, nps_of(*v), "nps", drill) for name, v in per_survey.items() if sum(v)),
        key=lambda f: (-_of(f), f.label),
    )
    charts = [
        Chart("Net promoter score", "gauge", (figure,), low=-100, high=100),
        Chart("Answers", "bars", tuple(counted)),
        Chart("NPS by survey", "bars", tuple(surveys)),
    ]
    return _tile(ctx, "nps", "Net promoter score", [figure, answers], charts)


def revenue_tile(ctx: Context) -> Tile:
    metric = ctx.metric("revenue")
    assert metric is not None
    actual = over_time(ctx, "revenue")
    start, end = ctx.period.start, ctx.period.end
    owner = ctx.metrics[metric.name][0].name
    everything = targets_in_scope(ctx, metric, start, end)
    sales = [t for t in targets_in_scope(ctx, metric, start, end, source=owner)]
    plans = [t for t in everything if t not in sales]

    def per_bucket(found: list[Target]) -> tuple[Figure, ...]:
        return tuple(
            Figure(
                label=f.label,
                value=round(
                    prorated(
                        found,
                        max(date.fromisoformat(f.label), start),
                        min(_bucket_end(date.fromisoformat(f.label), ctx.period), end),
                    ),
                    2,
                ),
                unit=metric.unit,
            )
            for f in actual
        )

    revenue = total(ctx, "revenue", "Revenue")
    assert revenue is not None
    revenue = Figure(revenue.label, revenue.value, revenue.unit, revenue.drill, revenue.previous)
    target = round(prorated(sales, start, end), 2)
    plan = round(prorated(plans, start, end), 2)
    headline = [revenue]
    for label, planned in (("Target", target), ("Plan", plan)):
        if planned:
            headline += [
                Figure(label, planned, metric.unit),
                Figure(f"Gap to {label.lower()}", round(_of(revenue) - planned, 2), metric.unit),
                Figure(f"{label} attained", ratio(_of(revenue), planned), "percent"),
            ]
    charts = [
        Chart(
            "Revenue against target", "line", actual, per_bucket(sales) if target else (), "target"
        )
    ]
    if plan:
        charts.append(
            Chart("Revenue against marketing plans", "line", actual, per_bucket(plans), "plan")
        )
    return _tile(ctx, "revenue", "Revenue against targets and plans", headline, charts)


def _tile(
    ctx: Context, name: str, title: str, headline: Iterable[Figure], charts: Iterable[Chart]
) -> Tile:
    previous = ctx.previous
    stocks = [r for r in STOCKS_SHOWN.get(name, ()) if ctx.metric(r)]
    notes = (STOCK_NOTE,) if stocks and (ctx.past or ctx.compare) else ()
    return Tile(
        notes=notes,
        name=name,
        title=title,
        start=ctx.period.start,
        end=ctx.period.end,
        headline=tuple(headline),
        charts=tuple(c for c in charts if c.figures),
        previous_start=previous.start if previous else None,
        previous_end=previous.end if previous else None,
    )


@frozen
class TileSpec:
    name: str
    title: str
    roles: tuple[str, ...]
    """The roles whose metrics feed the tile: it shows when any of the ``required`` is known."""
    build: Callable[[Context], Tile]
    required: tuple[str, ...] = ()


TILES: dict[str, TileSpec] = {
    spec.name: spec
    for spec in (
        TileSpec("pipeline", "Pipeline by stage", ("pipeline",), pipeline_tile),
        TileSpec("leads", "Leads by source and age", ("leads", "lead_age"), leads_tile),
        TileSpec(
            "campaigns",
            "Campaign results and ROI",
            (
                "campaign_sent",
                "campaign_responses",
                "campaign_conversions",
                "campaign_revenue",
                "campaign_cost",
            ),
            campaigns_tile,
        ),
        TileSpec(
            "service",
            "Service load and SLA",
            ("cases_opened", "cases_open", "cases_closed", "sla_met", "sla_breached"),
            service_tile,
        ),
        TileSpec("nps", "Net promoter score", NPS_ROLES, nps_tile),
        TileSpec("revenue", "Revenue against targets and plans", ("revenue",), revenue_tile),
    )
}


def metric_names(configured: Mapping[str, str]) -> dict[str, str]:
    """The metric of every role: the default, or the one the settings name."""
    return {role: configured.get(role, r.metric) for role, r in ROLES.items()}


def available(
    metrics: Mapping[str, tuple[FactSource, Metric]],
    names: Mapping[str, str],
    hidden: Iterable[str] = (),
) -> list[TileSpec]:
    """The tiles some installed source feeds, in the dashboard's order."""
    hide = set(hidden)
    return [
        spec
        for spec in TILES.values()
        if spec.name not in hide and any(names[r] in metrics for r in spec.roles)
    ]


def feeders(shown: Iterable[str] = ()) -> dict[str, list[str]]:
    """Which plugin feeds which tile not ``shown``, for the empty state."""
    fed: dict[str, list[str]] = defaultdict(list)
    skip = set(shown)
    for spec in TILES.values():
        if spec.name in skip:
            continue
        for role in spec.roles:
            feeder = ROLES[role].feeder
            if spec.title not in fed[feeder]:
                fed[feeder].append(spec.title)
    return dict(fed)
