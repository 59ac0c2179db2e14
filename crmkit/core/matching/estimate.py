"""Weights estimated from the data itself, without labels: Fellegi-Sunter ``m`` by expectation maximisation.

A level's weight is ``log(m / u)``: ``m`` is how often the level occurs among
pairs that are one party, ``u`` among pairs that are not. ``m`` is what
differs most between sources: in a file typed in by hand, national ids,
postcodes and phones are mistyped far more often than in one exported from a
system that checks them. So ``m`` is estimated from the file's own candidate
pairs, by expectation maximisation: which pairs are one party is guessed with
the current weights (at first the fixed ones), ``m`` is counted over those
guesses, the weights follow, and again until they settle. A file whose ids are
often mistyped learns that a differing id is weaker evidence against than in
a file where they never are.

``u`` stays what the fixed weights imply (``u = m / exp(weight)`` with the
``m`` of :data:`~crmkit.core.matching.weights.REFERENCE_M`). Estimating it from
the same pairs would not work: members of one household agree on their last
name, address and phone, and a model that takes fields as independent then
learns that such agreement says little, or that households are one party.

The work is done on the counts of distinct patterns, not on the pairs, so it
costs the same for a thousand records or a million.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from crmkit.core.matching.weights import DEFAULT_WEIGHTS, REFERENCE_M, Weights

ITERATIONS = 50
TOLERANCE = 0.005
"""Stop when no weight moves by more than this between two rounds."""
PRIOR_PAIRS = 200.0
"""How many pairs' worth of belief the reference ``m`` carries: a level seldom seen in a file
keeps nearly its reference share."""

Shares = tuple[tuple[float, ...], ...]
"""For each comparison, the share of each level (level 0, missing, has none)."""


def match_shares(
    counts: Mapping[tuple[int, ...], int],
    weights: Weights,
    reference: Shares | None = None,
) -> Shares:
    """``m``: the share of each level among the pairs judged one party by ``weights``.

    A pair counts towards a comparison's level as much as the other comparisons
    make it one party (a pair scoring 0.7 without its phones is 0.7 of a match
    for the phone's level): a level does not vouch for itself. With
    ``reference``, :data:`PRIOR_PAIRS` pairs distributed as it are added.
    """
    sums = [[0.0] * len(levels) for levels in weights.levels]
    for pattern, count in counts.items():
        evidence = weights.evidence(pattern)
        for comparison, level in enumerate(pattern):
            if level:
                without = evidence - weights.levels[comparison][level]
                sums[comparison][level] += count / (1.0 + math.exp(-without))
    if reference is not None:
        for comparison, shares in enumerate(reference):
            for level, share in enumerate(shares):
                sums[comparison][level] += PRIOR_PAIRS * share
    shares_of = []
    for levels in sums:
        seen = sum(levels[1:])
        shares_of.append((0.0, *(s / seen if seen else 0.0 for s in levels[1:])))
    return tuple(shares_of)


def _weights(start: Weights, reference: Shares, shares: Shares) -> Weights:
    """``start`` with each level whose ``m`` grew from its reference share to ``shares`` raised.

    A level never weighs less than in ``start``: where mistakes are rarer than
    in the reference, the fixed weights stay; where they are more common, they
    are forgiven more.
    """
    levels = tuple(
        (
            0.0,
            *(
                weight + max(0.0, math.log(new / old)) if old > 0 and new > 0 else weight
                for weight, old, new in zip(weights[1:], before[1:], after[1:], strict=True)
            ),
        )
        for weights, before, after in zip(start.levels, reference, shares, strict=True)
    )
    return Weights(levels, start.prior)


def estimate_weights(
    counts: Mapping[tuple[int, ...], int],
    start: Weights = DEFAULT_WEIGHTS,
    reference: Sequence[Sequence[float]] = REFERENCE_M,
) -> Weights:
    """Weights fitted to candidate pairs whose comparisons gave ``counts`` (pattern -> pairs).

    ``start`` are the weights when ``m`` is ``reference``; the prior stays that of
    ``start``, so that a score means the same with fixed and estimated weights.
    """
    base = tuple(tuple(shares) for shares in reference)
    weights = start
    for _ in range(ITERATIONS):
        fitted = _weights(start, base, match_shares(counts, weights, base))
        moved = max(
            abs(new - old)
            for new_levels, old_levels in zip(fitted.levels, weights.levels, strict=True)
            for new, old in zip(new_levels, old_levels, strict=True)
        )
        weights = fitted
        if moved < TOLERANCE:
            break
    return weights
