"""Settings of the rollups part: ``[plugins.analytics.rollups]``."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class RollupsSettings:
    """How the rollups part behaves."""

    keep_applied_days: int = field(
        default=30, validator=[validators.instance_of(int), validators.ge(1)]
    )
    """The ids of events applied to the rollups are kept this many days, so that a late
    redelivery is recognised; the outbox gives up on an event long before."""
    rebuild_after_demo: bool = field(default=True, validator=validators.instance_of(bool))
    """``crmkit demo`` ends by rebuilding every source, so that the dashboard has figures."""
