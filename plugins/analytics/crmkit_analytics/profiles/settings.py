"""Settings of the profiles part: ``[plugins.analytics.profiles]``."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class ProfilesSettings:
    """How the profiles part behaves."""

    top_groups: int = field(
        default=3, validator=validators.and_(validators.ge(1), validators.le(20))
    )
    """How many product groups a profile keeps (by spend, most first)."""
    min_month_share: float = field(
        default=0.15, validator=validators.and_(validators.ge(0.0), validators.le(1.0))
    )
    """A month counts as one the customer buys in when it holds at least this share of their
    orders (seasonality)."""
