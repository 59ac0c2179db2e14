"""``[plugins.loyalty.programmes]``: how the programmes part behaves."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class ProgrammesSettings:
    """``[plugins.loyalty.programmes]``."""

    review_batch: int = field(default=500, validator=[validators.ge(1), validators.le(10_000)])
    """How many members the daily tier review takes per transaction."""
