"""A dashboard tile of the forecast: this quarter's sales forecast against target, and the gap.

``forecast_tile(app, actor)`` has the signature of :class:`crmkit.Widget`'s ``render``;
``widget()`` is the Widget, for the dashboard to show.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from crmkit import Actor, Crm, Widget, is_allowed, utcnow
from crmkit_analytics.forecasts import service
from crmkit_analytics.forecasts.access import READ


def forecast_tile(app: Crm, actor: Actor) -> str:
    """Safe HTML: the current and next quarter's forecast, target and gap, plan and gap to
    plan (kept apart), with a link."""
    if not is_allowed(app.host, actor, READ):
        return ""
    with app.read() as conn:
        found = service.forecast(
            app, conn, actor, today=utcnow().date(), periods=2, grain="quarter"
        )
    html = Markup(
        "<table><tr><th>Quarter</th><th>Forecast</th><th>Target</th><th>Gap</th>"
        "<th>Plan</th><th>Gap to plan</th></tr>"
    )
    for row in found.sales:
        html += Markup(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"
        ).format(
            row.period,
            _money(row.forecast),
            _money(row.target),
            _money(row.gap, signed=True),
            _money(row.plan),
            _money(row.plan_gap, signed=True),
        )
    html += Markup('</table><p><a href="/p/analytics/forecasts?grain=quarter">Forecasts</a></p>')
    return str(html)


def _money(value: Any, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def widget() -> Widget:
    return Widget("analytics.forecast", "Forecast against target", forecast_tile, READ)
