"""The metrics the dashboard's tiles read, by role: the metric each role reads by default,
and the plugin that usually publishes it (for the empty state).

A source naming its metric differently is mapped with ``[plugins.analytics.dashboard.metrics]``.
"""

from __future__ import annotations

from attrs import frozen


@frozen
class Role:
    metric: str
    meaning: str
    feeder: str
    stock: bool = False
    """A stock (open pipeline, leads by age): the figure on a day is the sum of every delta up
    to it. Otherwise a flow: the sum of the deltas within the period."""


ROLES: dict[str, Role] = {
    "pipeline": Role("sfa.pipeline", "open deals by stage, on their expected close day", "sfa"),
    "weighted_pipeline": Role("sfa.weighted", "open deals weighted by probability", "sfa"),
    "won": Role("sfa.won", "deals won, on their close day", "sfa"),
    "revenue": Role("sfa.orders", "orders placed (what sales targets measure)", "sfa"),
    "leads": Role("leads.created", "new leads by source", "analytics (kernel leads)"),
    "lead_age": Role(
        "leads.open",
        "open leads by the day they came in (their age)",
        "analytics (kernel leads)",
        stock=True,
    ),
    "lead_uncontacted": Role(
        "leads.uncontacted",
        "open leads nobody has contacted",
        "analytics (kernel leads)",
        stock=True,
    ),
    "campaign_sent": Role("campaigns.sent", "messages sent by campaign", "campaigns"),
    "campaign_responses": Role("campaigns.responses", "responses by campaign", "campaigns"),
    "campaign_conversions": Role("campaigns.conversions", "conversions by campaign", "campaigns"),
    "campaign_revenue": Role("campaigns.revenue", "revenue attributed by campaign", "campaigns"),
    "campaign_cost": Role("campaigns.cost", "cost by campaign", "campaigns"),
    "cases_opened": Role("service.opened", "cases opened by category", "service"),
    "cases_open": Role(
        "service.open", "open cases by the day they were opened", "service", stock=True
    ),
    "cases_closed": Role("service.closed", "cases resolved by category", "service"),
    "sla_met": Role("service.sla_met", "SLA clocks stopped in time", "service"),
    "sla_breached": Role("service.sla_breached", "SLA clocks missed", "service"),
    "promoters": Role("surveys.promoters", "NPS promoters (9-10) by survey", "surveys"),
    "passives": Role("surveys.passives", "NPS passives (7-8) by survey", "surveys"),
    "detractors": Role("surveys.detractors", "NPS detractors (0-6) by survey", "surveys"),
}

TILE_NAMES = ("pipeline", "leads", "campaigns", "service", "nps", "revenue")
"""The dashboard's tiles, in their order (settings name them before the tiles are imported)."""
