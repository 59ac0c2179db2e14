"""``[plugins.loyalty.earning]``: how the earning part behaves."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class EarningSettings:
    """``[plugins.loyalty.earning]``."""

    expiring_within_days: int = field(
        default=90, validator=[validators.instance_of(int), validators.ge(1), validators.le(3650)]
    )
    """The party page's loyalty panel shows the points expiring within this many days."""
    panel_entries: int = field(
        default=3, validator=[validators.instance_of(int), validators.ge(0), validators.le(20)]
    )
    """How many of a member's latest ledger entries the panel lists."""
