"""A widget on the kernel's home page: this month's headline figures of the dashboard's
first tiles, each a link to the figures behind it. Shown to the roles that hold the
dashboard by default; it renders nothing for a user who may not see the dashboard."""

from __future__ import annotations

from markupsafe import Markup, escape

from crmkit import Actor, Crm, Widget, is_allowed
from crmkit_analytics.dashboard import service
from crmkit_analytics.dashboard.access import DASHBOARD_READ
from crmkit_analytics.dashboard.charts import number

NAME = "analytics.overview"
ROLES = ("admin", "manager")
SHOWN = ("revenue", "pipeline", "leads", "nps")
"""The tiles whose headline the widget shows, when installed plugins feed them."""


def render(app: Crm, actor: Actor) -> str:
    """This month's headline figures, at most three per tile."""
    if not is_allowed(app.host, actor, DASHBOARD_READ):
        return ""
    filters = service.filters_of({})
    names = [n for n in SHOWN if n in service.shown_tiles(app)]
    with app.read() as conn:
        tiles = [service.tile(app, conn, actor, name, filters) for name in names]
    parts = ['<dl class="analytics-overview">']
    for tile in tiles:
        parts.append(
            f'<dt><a href="/p/analytics/#tile-{escape(tile.name)}">{escape(tile.title)}</a></dt>'
        )
        for figure in tile.headline[:3]:
            shown = escape(number(figure.value, figure.unit))
            if figure.drill:
                shown = Markup(f'<a href="{escape(figure.drill)}">{shown}</a>')
            parts.append(f"<dd>{escape(figure.label)}: {shown}</dd>")
    parts.append("</dl>")
    return str(Markup("".join(parts)))


WIDGETS = [Widget(NAME, "This month at a glance", render)]


def chosen_for(actor: Actor) -> list[str]:
    """The widget for the roles that hold the dashboard by default."""
    return [NAME] if actor.role in ROLES else []
