"""What each comparison level is worth: log-odds for or against two records being one party.

A pair's evidence is the prior (the log-odds before looking at any field) plus
the weight of the level each comparison puts it on; its score is the logistic
of that sum. Missing values (level 0) weigh nothing.

:data:`DEFAULT_WEIGHTS` are set by hand: a shared email says much, a shared
phone less (households and offices share one), a different date of birth or
first name says "another person" loudly (parent and child, colleagues). They
are the fixed weights of single intake, and where expectation maximisation
(:mod:`~crmkit.core.matching.estimate`) starts; on the representative generated
set (``typed`` damage, 100,000 records), whose ``m`` is :data:`REFERENCE_M`,
it ends there too. ``crmkit match --estimate-weights`` estimates its own from the file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from attrs import frozen


@frozen
class Weights:
    """The weight of every level of every comparison, in the order of ``COMPARISONS``, and the prior."""

    levels: tuple[tuple[float, ...], ...]
    prior: float

    def evidence(self, pattern: Sequence[int]) -> float:
        """The log-odds that a pair whose comparisons gave ``pattern`` is one party."""
        return self.prior + sum(
            weights[level] for weights, level in zip(self.levels, pattern, strict=True)
        )

    def score(self, pattern: Sequence[int]) -> float:
        """:meth:`evidence` as a probability."""
        return 1.0 / (1.0 + math.exp(-self.evidence(pattern)))


DEFAULT_WEIGHTS = Weights(
    levels=(
        (0.0, 3.0, 1.5, 2.5, 0.0, -7.0),  # first name
        (0.0, 3.0, 2.0, 0.0, -4.0),  # last name
        (0.0, 6.0, 3.0, 0.0, -5.0, -3.0),  # organisation
        (0.0, 4.5, 3.0, 1.0, -6.0),  # birth date
        (0.0, 0.3, -2.5, 0.0, -0.5, 1.5, 2.5),  # address
        (0.0, 5.0, -1.0),  # email
        (0.0, 2.5, 1.5, -0.7),  # phone
        (0.0, 10.0, 4.0, -12.0),  # national id
        (0.0, 10.0, 4.0, 0.0),  # external id
        (0.0, 0.0, -2.0),  # country
    ),
    # Evidence of 5.3 scores 0.5; 7.5, strong evidence, scores 0.9.
    prior=-5.3,
)
"""The fixed weights of :func:`~crmkit.core.matching.score_pair`, where estimation starts."""

REFERENCE_M: tuple[tuple[float, ...], ...] = (
    (0, 0.7482, 0, 0.1785, 0.009912, 0.06341),
    (0, 0.7851, 0.1893, 0.006866, 0.01873),
    (0, 0.344, 6.692e-06, 5.005e-05, 6.092e-06, 0.6559),
    (0, 0.6966, 0.003232, 0.02082, 0.2793),
    (0, 0, 0.1824, 0.08457, 0.004367, 0.05276, 0.6759),
    (0, 0.637, 0.363),
    (0, 0.6596, 0.03763, 0.3027),
    (0, 0.9047, 0.06919, 0.02607),
    (0, 0.8799, 0.06252, 0.05756),
    (0, 0.9997, 0.0003362),
)
"""``m`` at the fixed weights: the share of each level among the pairs they judge one party
(each pair counting with its score), measured on the representative generated set with
:func:`~crmkit.core.matching.estimate.match_shares`. Estimation moves each weight by
``log(m / REFERENCE_M)``."""
