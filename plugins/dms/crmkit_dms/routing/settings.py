"""``[plugins.dms.routing]``: deadlines, how many partners a lead is tried with, scoring."""

from __future__ import annotations

from attrs import field, frozen, validators

_positive = [validators.instance_of(int), validators.ge(1)]


@frozen
class RoutingSettings:
    """How the routing part behaves."""

    accept_hours: int = field(default=4, validator=_positive)
    """A partner has this many of its opening hours to accept an offered lead."""
    max_attempts: int = field(default=3, validator=_positive)
    """Partners a lead is offered to, one after another, before it goes to the fallback queue."""
    performance_days: int = field(default=90, validator=_positive)
    """The window of past offers a partner's acceptance and conversion are judged on."""
    conversion_weight: float = field(default=2.0, validator=validators.ge(0.0))
    """Weight of a partner's conversion (sold / accepted) in its score."""
    acceptance_weight: float = field(default=1.0, validator=validators.ge(0.0))
    """Weight of a partner's acceptance rate (accepted / offered) in its score."""
    speed_weight: float = field(default=1.0, validator=validators.ge(0.0))
    """Weight of a partner's speed: 1 when it accepts at once, 0 at the deadline."""
    load_weight: float = field(default=1.0, validator=validators.ge(0.0))
    """Weight of a partner's capacity left today (a share of its daily capacity)."""
    score_refresh_seconds: int = field(default=300, validator=_positive)
    """Partners' past figures are aggregated at most this often per process (capacity left is
    counted for every lead)."""
    batch: int = field(default=200, validator=_positive)
    """Offers past their deadline routed on per transaction by the job."""
