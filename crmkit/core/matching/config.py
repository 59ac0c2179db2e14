"""How sure the matcher must be before records count as one party."""

from __future__ import annotations

from attrs import field, frozen
from attrs.validators import ge, le

from crmkit.core.errors import ValidationError


@frozen
class MatchConfig:
    """Thresholds on :func:`~crmkit.core.matching.score_pair` scores, and limits that keep cost linear.

    A pair scoring at least ``auto_merge`` is one party (merged without asking);
    from ``review`` up to ``auto_merge`` a person decides; below ``review`` the
    records are different parties.
    """

    auto_merge: float = field(default=0.9, converter=float, validator=[ge(0.0), le(1.0)])
    review: float = field(default=0.6, converter=float, validator=[ge(0.0), le(1.0)])
    max_block_size: int = field(default=100, validator=ge(2))
    """Records sharing a blocking key are compared only when at most this many share it:
    a key shared by more ("info@" of a big company, a placeholder phone number) tells nothing."""
    max_cluster_size: int = field(default=50, validator=ge(2))
    """No chain of matches joins more records than this into one party."""

    def __attrs_post_init__(self) -> None:
        if self.review > self.auto_merge:
            raise ValidationError("review", "must not be above auto_merge")


DEFAULT_MATCH_CONFIG = MatchConfig()
"""The configuration intake and ``crmkit match`` use unless told otherwise."""
