"""``[plugins.campaigns.results]``: how the results part behaves."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class ResultsSettings:
    """``[plugins.campaigns.results]``."""

    track_completed_days: int = field(default=30, validator=validators.ge(0))
    """How long after completing a campaign its members' statuses are still refreshed."""
    refresh_chunk: int = field(default=1000, validator=[validators.ge(1), validators.le(10000)])
    """How many members one refresh step reads delivery states for."""
    attribution_days: int = field(default=90, validator=validators.ge(1))
    """How long after its first touch a campaign is credited with a party's win or order."""
