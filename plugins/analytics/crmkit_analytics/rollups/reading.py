"""Reading the rollups: sums over a period, grouped and filtered, and the known metrics.

The other parts (dashboard, forecasts) read figures only through :func:`totals`, so that a
tile costs one indexed range scan of ``analytics_rollup`` however many records lie behind it.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Row, false, func, literal, select

from crmkit import PluginError, territory_condition
from crmkit_analytics.rollups.tables import NO_OWNER, rollup

if TYPE_CHECKING:
    from crmkit import Crm
    from crmkit_analytics.sources import FactSource, Metric

GROUPS = ("day", "month", "dimension", "territory", "team", "owner_id")
"""What :func:`totals` can group by. ``month`` is the month's first day as ``YYYY-MM``."""


def _group_column(name: str, dialect: str) -> ColumnElement[Any]:
    if name == "month":
        if dialect == "sqlite":
            return func.strftime("%Y-%m", rollup.c.day).label("month")
        return func.to_char(rollup.c.day, literal("YYYY-MM")).label("month")
    if name == "owner_id":
        return func.nullif(rollup.c.owner_id, NO_OWNER).label("owner_id")
    return rollup.c[name].label(name)


def totals(
    conn: Connection,
    metric: str,
    start: date,
    end: date,
    *,
    group_by: Sequence[str] = (),
    territories: Collection[str] | None = None,
    teams: Collection[str] | None = None,
    owner_ids: Collection[int | None] | None = None,
) -> list[Row[Any]]:
    """The sums of ``count`` and ``amount`` of ``metric`` from ``start`` to ``end`` (both
        included), one row per group of ``group_by`` that is not zero (columns named as the groups, then ``count``
        and ``amount``), ordered by the groups. Filters that are None do not filter; an empty
        collection matches nothing. ``territories`` are territories as users have them (``DE``,
    ``DE-10``): each covers the territory keys it starts (``DE-10115``). ``owner_id`` is None for cells without an owner (and None in
        ``owner_ids`` selects them)."""
    unknown = [g for g in group_by if g not in GROUPS]
    if unknown:
        raise ValueError(f"cannot group rollups by {unknown[0]!r}; choose from {GROUPS}")
    groups = [_group_column(g, conn.dialect.name) for g in group_by]
    query = select(
        *groups,
        func.coalesce(func.sum(rollup.c.count), 0).label("count"),
        func.coalesce(func.sum(rollup.c.amount), 0.0).label("amount"),
    ).where(rollup.c.metric == metric, rollup.c.day >= start, rollup.c.day <= end)
    if territories is not None:
        covered = territory_condition(rollup.c.territory, territories)
        query = query.where(false() if covered is None else covered)
    if teams is not None:
        query = query.where(rollup.c.team.in_(list(teams)))
    if owner_ids is not None:
        query = query.where(
            rollup.c.owner_id.in_([NO_OWNER if o is None else o for o in owner_ids])
        )
    if groups:
        # Cells brought back to nothing (a deal moved on) are left out.
        query = (
            query.group_by(*groups)
            .having((func.sum(rollup.c.count) != 0) | (func.sum(rollup.c.amount) != 0))
            .order_by(*groups)
        )
    return list(conn.execute(query))


_SOURCES: weakref.WeakKeyDictionary[Crm, tuple[FactSource, ...]] = weakref.WeakKeyDictionary()


def sources(app: Crm) -> tuple[FactSource, ...]:
    """Every source the installed plugins publish (``analytics_sources``), gathered once per
    CRM. A source name or metric name given twice is refused naming the plugin."""
    found = _SOURCES.get(app)
    if found is not None:
        return found
    names: dict[str, str] = {}
    metric_names: dict[str, str] = {}
    collected: list[FactSource] = []
    for plugin, declared in app.host.collect_by_plugin("analytics_sources"):
        for source in declared:
            if source.name in names:
                raise PluginError(
                    plugin,
                    f"analytics_sources: source {source.name!r} is already published "
                    f"by {names[source.name]}",
                )
            names[source.name] = plugin
            for metric in source.metrics:
                if metric.name in metric_names:
                    raise PluginError(
                        plugin,
                        f"analytics_sources: metric {metric.name!r} is already published "
                        f"by {metric_names[metric.name]}",
                    )
                metric_names[metric.name] = plugin
            collected.append(source)
    result = tuple(collected)
    _SOURCES[app] = result
    return result


def source_named(app: Crm, name: str) -> FactSource:
    """The source called ``name``; :class:`crmkit.NotFound` if no plugin publishes it."""
    from crmkit import NotFound

    for source in sources(app):
        if source.name == name:
            return source
    raise NotFound(f"no analytics source is called {name!r}")


def metrics(app: Crm) -> dict[str, tuple[FactSource, Metric]]:
    """Every known metric by name, with the source that fills it."""
    return {metric.name: (source, metric) for source in sources(app) for metric in source.metrics}
