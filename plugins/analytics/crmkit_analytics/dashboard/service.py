"""What the dashboard's page and API ask for: the tiles an actor sees for a period and filters,
and the rollup cells behind a figure (the drill-down list when a source gives none)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from attrs import frozen
from sqlalchemy import func, select

from crmkit import Actor, Crm, NotFound, ValidationError, read_choice, utcnow
from crmkit_analytics.dashboard import drill as drills
from crmkit_analytics.dashboard import scope as scopes
from crmkit_analytics.dashboard.tiles import TILES, Context, Tile, available, metric_names
from crmkit_analytics.rollups.reading import metrics, sources
from crmkit_analytics.rollups.tables import NO_OWNER, rollup

QUERY = ("period", "start", "end", "territory", "team", "compare")
DRILL_LIMIT = 500


@frozen
class Filters:
    """What the page's form and the API's query ask: a period, a territory, a team, and
    whether to compare with the period before."""

    period: scopes.Period
    territory: str = ""
    team: str = ""
    compare: bool = False


def filters_of(query: Mapping[str, str], today: date | None = None) -> Filters:
    """The filters of a query string; bad input raises ValidationError naming the field."""
    period = scopes.period_of(query, today or utcnow().date())
    compare = query.get("compare", "")
    if compare:
        compare = read_choice("compare", compare, ("true", "false", "previous", "none"))
    return Filters(
        period,
        query.get("territory", "").strip(),
        query.get("team", "").strip(),
        compare in ("true", "previous"),
    )


def _context(app: Crm, conn: Any, actor: Actor, filters: Filters) -> Context:
    scope = scopes.scope_of(app.host, actor, rollup, filters.territory, filters.team)
    settings = app.settings_of["analytics"].dashboard
    return Context(
        conn=conn,
        actor=actor,
        scope=scope,
        period=filters.period,
        compare=filters.compare,
        metrics=metrics(app),
        names=metric_names(settings.metrics),
        sources=sources(app),
        today=utcnow().date(),
        age_limits=tuple(settings.lead_age_bands),
    )


def shown_tiles(app: Crm) -> list[str]:
    """The names of the tiles some installed source feeds."""
    settings = app.settings_of["analytics"].dashboard
    names = metric_names(settings.metrics)
    return [spec.name for spec in available(metrics(app), names, settings.hidden_tiles)]


def tile(app: Crm, conn: Any, actor: Actor, name: str, filters: Filters) -> Tile:
    """One tile; NotFound when no such tile or no installed source feeds it."""
    if name not in TILES or name not in shown_tiles(app):
        raise NotFound(
            f"no dashboard tile is called {name!r} (known: {', '.join(shown_tiles(app)) or 'none'})"
        )
    return _build(_context(app, conn, actor, filters), name)


def _build(ctx: Context, name: str) -> Tile:
    return TILES[name].build(ctx)


def dashboard(app: Crm, conn: Any, actor: Actor, filters: Filters) -> list[Tile]:
    """Every tile shown, in order."""
    ctx = _context(app, conn, actor, filters)
    return [_build(ctx, name) for name in shown_tiles(app)]


@frozen
class Cell:
    """A row of the drill-down list: the rollup cells of a figure summed per day and owner."""

    day: date
    dimension: str
    territory: str
    team: str
    owner_id: int | None
    count: int
    amount: float


@frozen
class Drill:
    """What the drill page shows: the records behind the figure when its source keeps them
    (``records``), else the rollup cells (``cells``)."""

    metric: str
    filters: Filters
    cells: list[Cell]
    records: drills.Records | None


def drill(app: Crm, conn: Any, actor: Actor, query: Mapping[str, str]) -> Drill:
    """The list behind a figure: the records of the metric's source whose cells make it (see
    :mod:`.drill`), or the rollup cells when the source keeps no record of the metric."""
    metric, filters, cells = drill_cells(app, conn, actor, query)
    source = metrics(app)[metric][0]
    scope = scopes.scope_of(app.host, actor, rollup, filters.territory, filters.team)
    records = drills.records_behind(
        app,
        conn,
        actor,
        source,
        metric,
        filters.period.start,
        filters.period.end,
        query.get("dimension"),
        scope,
    )
    return Drill(metric, filters, cells, records)


def drill_cells(
    app: Crm, conn: Any, actor: Actor, query: Mapping[str, str]
) -> tuple[str, Filters, list[Cell]]:
    """The cells behind a figure: ``metric``, optional ``dimension``, the filters; newest
    first, at most :data:`DRILL_LIMIT`."""
    metric = query.get("metric", "")
    if metric not in metrics(app):
        raise ValidationError("metric", "no installed source publishes this metric")
    if not query.get("start"):
        raise ValidationError("start", "expected the first day (YYYY-MM-DD)")
    start = scopes.read_day("start", query["start"])
    end = scopes.read_day("end", query["end"]) if query.get("end") else utcnow().date()
    if end < start:
        raise ValidationError("end", "the last day is before the first")
    # No limit on the length: the records of a stock came in any day up to today.
    filters = Filters(
        scopes.Period("custom", start, end),
        query.get("territory", "").strip(),
        query.get("team", "").strip(),
    )
    scope = scopes.scope_of(app.host, actor, rollup, filters.territory, filters.team)
    conditions = [
        rollup.c.metric == metric,
        rollup.c.day >= start,
        rollup.c.day <= filters.period.end,
        scope.condition,
    ]
    if "dimension" in query:
        conditions.append(rollup.c.dimension == query["dimension"])
    keys = (rollup.c.day, rollup.c.dimension, rollup.c.territory, rollup.c.team, rollup.c.owner_id)
    rows: list[Any] = list(
        conn.execute(
            select(*keys, func.sum(rollup.c.count), func.sum(rollup.c.amount))
            .where(*conditions)
            .group_by(*keys)
            .order_by(rollup.c.day.desc(), *keys[1:])
            .limit(DRILL_LIMIT)
        )
    )
    cells = [
        Cell(
            day=r[0],
            dimension=r[1],
            territory=r[2],
            team=r[3],
            owner_id=None if r[4] == NO_OWNER else r[4],
            count=int(r[5] or 0),
            amount=float(r[6] or 0.0),
        )
        for r in rows
    ]
    return metric, filters, cells
