"""The names of the RFM bands (no numpy here: campaigns reads them to offer a choice)."""

from __future__ import annotations

BANDS = (
    "new",
    "champions",
    "loyal",
    "promising",
    "at_risk",
    "hibernating",
    "lost",
    "needs_attention",
)
"""In the order their rules are tried (see :mod:`crmkit_analytics.profiles.scoring`)."""

BAND_LABELS = {
    "champions": "Champions",
    "new": "New customers",
    "loyal": "Loyal",
    "promising": "Promising",
    "at_risk": "At risk",
    "hibernating": "Hibernating",
    "lost": "Lost",
    "needs_attention": "Needs attention",
}
