"""RFM scores and bands, computed with numpy over all customers at once.

Each of recency, frequency and monetary value becomes a quintile score from 1 to 5 among the
customers who bought (5: the most recent, most frequent, highest spending fifth). Ties share
the average of their ranks, so that equal customers get equal scores.

The band names a customer by their recency (R) and frequency (F) scores and their number of
orders, the first rule that holds (in this order). A single customer scores 3 on everything:
quintiles need a crowd.

======================  ====================================================================
band                    rule
======================  ====================================================================
``new``                 R >= 4 and one order only: a first purchase, recently
``champions``           R >= 4 and F >= 4: bought recently and often
``loyal``               R >= 3, F >= 3 and two orders or more: buy regularly
``promising``           R >= 4: recent, not yet frequent
``at_risk``             R <= 2, F >= 3 and two orders or more: used to buy often, not lately
``hibernating``         R == 2: neither recent nor frequent
``lost``                R == 1: the longest silence, few orders
``needs_attention``     everyone else (R == 3, F <= 2)
======================  ====================================================================
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from crmkit_analytics.profiles.bands import BAND_LABELS, BANDS

__all__ = ["BANDS", "BAND_LABELS", "bands", "quintile_scores", "rfm_scores"]


def quintile_scores(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """The quintile (1..5) of each value among all of them; higher values score higher."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    share = (rankdata(values, method="average") - 0.5) / n
    return np.clip(np.floor(share * 5).astype(np.int64) + 1, 1, 5)


def rfm_scores(
    recency_days: NDArray[np.float64],
    frequency: NDArray[np.float64],
    monetary: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """R, F and M scores: R from the fewest days since the last purchase."""
    return (
        quintile_scores(-np.asarray(recency_days, dtype=np.float64)),
        quintile_scores(np.asarray(frequency, dtype=np.float64)),
        quintile_scores(np.asarray(monetary, dtype=np.float64)),
    )


def bands(
    r: NDArray[np.int64], f: NDArray[np.int64], frequency: NDArray[np.float64]
) -> NDArray[np.str_]:
    """The band of each customer (see the module's table)."""
    conditions = [
        (r >= 4) & (frequency <= 1),
        (r >= 4) & (f >= 4),
        (r >= 3) & (f >= 3) & (frequency >= 2),
        r >= 4,
        (r <= 2) & (f >= 3) & (frequency >= 2),
        r == 2,
        r == 1,
    ]
    return np.select(conditions, list(BANDS[:-1]), default=BANDS[-1])
