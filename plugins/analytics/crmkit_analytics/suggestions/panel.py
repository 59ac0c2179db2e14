"""The "Suggested next products" card on a party's page (the 360 view) and on an sfa
opportunity's page (``sfa_opportunity_panels``, for the deal's party)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection

from crmkit import Actor, Crm, NotFound, Panel, is_allowed, seen_party
from crmkit_analytics.suggestions import service
from crmkit_analytics.suggestions.access import READ

ORDER = 62
TITLE = "Suggested next products"


def panels(app: Crm, actor: Actor, party: Any) -> list[Panel]:
    """The card, for whoever may read suggestions (the kernel has checked the party)."""
    if not is_allowed(app.host, actor, READ):
        return []
    shown = service.settings_of(app).shown

    def render(conn: Connection) -> str:
        return render_suggestions(service.suggestions_for(conn, party.id, shown))

    return [Panel(TITLE, render, ORDER)]


def opportunity_panels(app: Crm, actor: Actor, opportunity: Any) -> list[Panel]:
    """The card for the party of a deal the actor sees, if the actor may see that party too."""
    if not is_allowed(app.host, actor, READ):
        return []
    shown = service.settings_of(app).shown

    def render(conn: Connection) -> str:
        try:
            seen_party(app.host, conn, actor, opportunity.party_id)
        except NotFound:
            return str(Markup("<p>The customer of this deal is not yours to see.</p>"))
        return render_suggestions(service.suggestions_for(conn, opportunity.party_id, shown))

    return [Panel(TITLE, render, ORDER)]


def render_suggestions(found: list[service.Suggestion]) -> str:
    if not found:
        return str(Markup("<p>No suggestion: nothing bought yet leads to another product.</p>"))
    html = Markup("<ul>")
    for suggestion in found:
        html += Markup("<li><strong>{}</strong>: {}</li>").format(
            suggestion.product, suggestion.reason
        )
    return str(html + Markup("</ul>"))
