"""Dashboard widgets: the pipeline by stage, this quarter's forecast against target, overdue activities."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select

from crmkit import Actor, Crm, Widget, utcnow, visible
from crmkit_sfa.pipeline.pipelines import all_pipelines
from crmkit_sfa.pipeline.tables import activity, opportunity
from crmkit_sfa.planning.access import READ
from crmkit_sfa.planning.forecast import forecast
from crmkit_sfa.planning.money import money
from crmkit_sfa.planning.periods import period_of
from crmkit_sfa.planning.scopes import Scope
from crmkit_sfa.planning.targets import attainment, list_targets

OVERDUE_SHOWN = 10
NAMES = ("sfa.pipeline_by_stage", "sfa.forecast_vs_target", "sfa.overdue_activities")


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    cells = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(c) for c in row))
        for row in rows
    )
    header = Markup("").join(Markup("<th>{}</th>").format(h) for h in head)
    return str(
        Markup("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>").format(header, cells)
    )


def _note(text: str) -> str:
    return str(Markup("<p>{}</p>").format(text))


def pipeline_by_stage(app: Crm, actor: Actor) -> str:
    """Open opportunities the actor sees, per pipeline and stage: how many, and their amount."""
    with app.read() as conn:
        rows = conn.execute(
            select(
                opportunity.c.pipeline,
                opportunity.c.stage,
                opportunity.c.currency,
                func.count().label("count"),
                func.sum(opportunity.c.amount).label("amount"),
            )
            .where(
                opportunity.c.status == "open",
                visible(app.host, actor, "sfa.opportunity", opportunity),
            )
            .group_by(opportunity.c.pipeline, opportunity.c.stage, opportunity.c.currency)
        ).all()
        pipelines = all_pipelines(app, conn)
    if not rows:
        return _note("No open opportunities.")
    found: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in rows:
        found[(r.pipeline, r.stage)].append(r)
    lines = []
    for pipeline in pipelines:
        for stage in pipeline.stages:
            for r in found.get((pipeline.key, stage.key), []):
                amount = money(r.amount, r.currency)
                lines.append((pipeline.label, stage.label, r.count, f"{amount:,} {r.currency}"))
    return _table(("Pipeline", "Stage", "Open", "Amount"), lines)


def forecast_vs_target(app: Crm, actor: Actor) -> str:
    """This quarter's forecast of the actor's own deals next to their amount targets."""
    if actor.user_id is None:
        return _note("Forecasts are kept per salesperson.")
    today = utcnow().date()
    quarter = period_of("quarter", today)
    mine = Scope("user", str(actor.user_id))
    with app.read() as conn:
        figures = forecast(conn, quarter, mine, app.settings_of["sfa"].planning, today)
        goals = {
            t.currency: attainment(conn, t, today)
            for t in list_targets(conn, period=quarter, scope=mine)
            if t.currency is not None  # an amount target
        }
    lines = []
    for entry in figures.currencies:
        f = entry.figures
        goal = goals.pop(f.currency, None)
        lines.append(
            (
                f.currency,
                f"{f.won:,}",
                f"{f.commit:,}",
                f"{f.weighted:,}",
                f"{f.best_case:,}",
                f"{goal.target.value:,} ({goal.attainment_percent}%)" if goal else "none",
            )
        )
    for currency, goal in goals.items():
        lines.append((currency, "0", "0", "0", "0", f"{goal.target.value:,} (0%)"))
    if not lines:
        return _note(f"Nothing forecast and no target for {quarter.key}.")
    return _note(quarter.key) + _table(
        ("Currency", "Won", "Commit", "Weighted", "Best case", "Target"), lines
    )


def overdue_activities(app: Crm, actor: Actor) -> str:
    """The actor's own planned activities past their due time, oldest first."""
    now = utcnow()
    overdue = [
        activity.c.owner_id == actor.user_id,
        activity.c.status == "planned",
        activity.c.due_at < now,
    ]
    with app.read() as conn:
        total = conn.execute(select(func.count()).where(*overdue)).scalar_one()
        rows = conn.execute(
            select(activity.c.kind, activity.c.subject, activity.c.due_at)
            .where(*overdue)
            .order_by(activity.c.due_at, activity.c.id)
            .limit(OVERDUE_SHOWN)
        ).all()
    if not rows:
        return _note("Nothing overdue.")
    table = _table(
        ("Due", "Kind", "Subject"),
        ((f"{r.due_at:%Y-%m-%d %H:%M}", r.kind, r.subject) for r in rows),
    )
    more = _note(f"and {total - len(rows)} more") if total > len(rows) else ""
    return table + more


WIDGETS = [
    Widget(NAMES[0], "Pipeline by stage", pipeline_by_stage, "sfa:opportunity.read"),
    Widget(NAMES[1], "Forecast vs target", forecast_vs_target, READ),
    Widget(NAMES[2], "Overdue activities", overdue_activities, "sfa:activity.read"),
]


def chosen_for(actor: Actor) -> list[str]:
    """Salespeople, their managers and admins see all three; others none (they hold no pipeline)."""
    return list(NAMES) if actor.role in ("admin", "sales", "manager") else []
