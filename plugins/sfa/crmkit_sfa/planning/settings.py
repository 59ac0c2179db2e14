"""The ``[plugins.sfa.planning]`` settings: forecast categories, run-rate alerts."""

from __future__ import annotations

from attrs import Attribute, field, frozen, validators

_PERCENT = [validators.instance_of(int), validators.ge(0), validators.le(100)]


@frozen
class PlanningSettings:
    """How forecasts are categorised and when the run-rate alert is raised."""

    commit_probability: int = field(default=75, validator=_PERCENT)
    """Open opportunities at least this likely (percent) count towards the commit forecast."""
    best_case_probability: int = field(default=25, validator=_PERCENT)
    """Open opportunities at least this likely (percent) count towards the best case."""

    @best_case_probability.validator
    def _not_above_commit(self, attribute: Attribute[int], value: int) -> None:
        # The best case holds the commit: a higher bar for it would make it the smaller one.
        if value > self.commit_probability:
            raise ValueError("best_case_probability may not exceed commit_probability")

    run_rate_after_percent: int = field(default=20, validator=_PERCENT)
    """The run-rate alert waits until this share of the period has passed (too early says nothing)."""
    gap_opportunities: int = field(
        default=5, validator=[validators.instance_of(int), validators.ge(1)]
    )
    """At most this many opportunities are named in a run-rate alert."""
