"""The "Customer profile" card on a party's page: RFM scores, band, buying patterns and, when the
transactions part has fitted it, the customer's predicted value."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection, select

from crmkit import Actor, Crm, Panel, is_allowed
from crmkit_analytics.profiles import service
from crmkit_analytics.profiles.access import READ
from crmkit_analytics.transactions.tables import clv

ORDER = 35
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def panels(app: Crm, actor: Actor, party: Any) -> list[Panel]:
    """The card, for whoever may read profiles (the kernel has checked the party)."""
    if not is_allowed(app.host, actor, READ):
        return []

    def render(conn: Connection) -> str:
        return render_profile(conn, party.id)

    return [Panel("Customer profile", render, ORDER)]


def render_profile(conn: Connection, party_id: int) -> str:
    found = service.profile_of(conn, party_id)
    if found is None:
        return str(Markup("<p>No purchases on record yet.</p>"))
    html = Markup(
        "<p><strong>{}</strong> · R {} F {} M {} · last purchase {} days ago · {} order(s), {:,.2f} in all</p>"
    ).format(
        found.band_label,
        found.r_score,
        found.f_score,
        found.m_score,
        round(found.recency_days),
        found.frequency,
        found.monetary,
    )
    html += Markup("<ul>")
    if found.top_groups:
        html += Markup("<li>Buys: {}</li>").format(", ".join(found.top_groups))
    if found.months:
        html += Markup("<li>Buys in: {}</li>").format(
            ", ".join(MONTHS[m - 1] for m in found.months)
        )
    if found.preferred_channel:
        html += Markup("<li>Prefers: {}</li>").format(found.preferred_channel)
    value = conn.execute(select(clv).where(clv.c.party_id == party_id)).first()
    if value is not None:
        html += Markup(
            "<li>Value over {} days: {:,.2f} · probably still a customer: {:.0%}</li>"
        ).format(value.horizon_days, value.clv, value.p_alive)
    return str(html + Markup("</ul>"))
