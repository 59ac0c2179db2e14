"""crmkit-analytics: the helicopter view, RFM profiles, lifetime value, churn work list,
cross-sell and forecasts against plans.

Plugins feed it through the ``analytics_sources`` hook with :class:`FactSource` objects.
"""

from __future__ import annotations

from typing import Any

from crmkit_analytics.profiles.bands import BANDS as PROFILE_BANDS
from crmkit_analytics.sources import FactSource, Measure, Metric, Purchase, Signal, Target

__all__ = [
    "PROFILE_BANDS",
    "FactSource",
    "Measure",
    "Metric",
    "Purchase",
    "Signal",
    "Target",
    "parties_with_suggestion",
    "parties_with_suggestion_query",
    "profile_table",
    "purchase_table",
]


def parties_with_suggestion(conn: Any, product: str, **options: Any) -> list[int]:
    """The parties a cross-sell rule would suggest ``product`` to (they bought a product that
    leads to it and never bought it), for a campaign segment; ``host=`` and ``actor=`` keep
    only the parties the actor sees. See ``crmkit_analytics.suggestions.service``."""
    from crmkit_analytics.suggestions import service  # numpy and scipy only when asked

    return service.parties_with_suggestion(conn, product, **options)


def parties_with_suggestion_query(product: str) -> Any:
    """:func:`parties_with_suggestion` as a query (one ``party_id`` column) for a SQL
    condition, e.g. the campaigns segment criterion ``analytics.suggested``: it runs when the
    condition does, on the rules and purchases stored then. No record rule is applied: the
    caller's query applies its own."""
    from crmkit_analytics.suggestions import service

    return service.suggested_parties(product)


def profile_table() -> Any:
    """The ``analytics_profile`` table (one row per customer who bought: ``r_score``,
    ``f_score``, ``m_score`` 1..5, ``band`` one of :data:`PROFILE_BANDS`, ``top_groups`` and
    ``months`` as JSON lists, ``preferred_channel``), for a segment's SQL condition. Imported
    when asked, so that importing this package declares no table."""
    from crmkit_analytics.profiles.tables import profile

    return profile


def purchase_table() -> Any:
    """The ``analytics_purchase`` table (``party_id``, ``occurred_at``, ``amount``, ``product``,
    ``product_group``, ``channel`` per order line), for a segment's SQL condition."""
    from crmkit_analytics.transactions.tables import purchase

    return purchase
