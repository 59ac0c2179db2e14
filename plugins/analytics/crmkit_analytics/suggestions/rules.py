"""Item-to-item association rules from baskets, with sparse matrices.

A basket is everything one customer bought (all of a party's orders): the question a
suggestion answers is "customers who bought X also bought Y". With ``B`` the customers x
products matrix of 0/1 (bought at least once), ``C = B.T @ B`` counts for every pair of
products the customers who bought both, its diagonal the buyers of each product. For
``N`` customers and a rule X → Y:

- support = C[X, Y] / N
- confidence = C[X, Y] / C[X, X]
- lift = confidence / (C[Y, Y] / N)

Only pairs some customer bought together are ever materialised (``C`` is sparse).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from attrs import frozen
from numpy.typing import NDArray
from scipy import sparse


@frozen
class Rule:
    """Buyers of ``antecedent`` also bought ``consequent``."""

    antecedent: str
    consequent: str
    support: float
    confidence: float
    lift: float
    customers: int
    """How many customers bought both."""

    @property
    def score(self) -> float:
        """How strongly the rule speaks for suggesting ``consequent``: lift times confidence."""
        return self.lift * self.confidence


@frozen
class Thresholds:
    min_support: float = 0.0
    min_customers: int = 1
    min_confidence: float = 0.0
    min_lift: float = 0.0
    max_rules_per_product: int = 1_000_000


def association_rules(
    customers: NDArray[np.integer],
    products: NDArray[np.integer],
    names: Sequence[str],
    thresholds: Thresholds = Thresholds(),
) -> list[Rule]:
    """The rules X → Y (X ≠ Y) passing ``thresholds``, best first per X by lift times confidence.

    ``customers[i]`` bought product code ``products[i]`` (an index into ``names``); entries
    with a negative product code (no product named) are left out, and so is a customer
    without any named product.
    """
    named = products >= 0
    customers, products = customers[named], products[named]
    if customers.size == 0:
        return []
    _, rows = np.unique(customers, return_inverse=True)
    n_customers = int(rows.max()) + 1
    bought = sparse.csr_matrix(
        (np.ones(rows.size, dtype=np.float64), (rows, products.astype(np.int64))),
        shape=(n_customers, len(names)),
    )
    bought.sum_duplicates()
    bought.data[:] = 1.0  # bought at least once
    together = (bought.T @ bought).tocoo()
    buyers = np.asarray(bought.sum(axis=0)).ravel()
    pairs = together.row != together.col
    x, y = together.row[pairs], together.col[pairs]
    both = together.data[pairs]
    support = both / n_customers
    confidence = both / buyers[x]
    lift = confidence / (buyers[y] / n_customers)
    keep = (
        (support >= thresholds.min_support)
        & (both >= thresholds.min_customers)
        & (confidence >= thresholds.min_confidence)
        & (lift >= thresholds.min_lift)
    )
    x, y, both, support, confidence, lift = (
        a[keep] for a in (x, y, both, support, confidence, lift)
    )
    # Per antecedent, the best first (ties by consequent's name, so the result is stable).
    order = np.lexsort((np.asarray(names, dtype=object)[y].astype(str), -lift * confidence, x))
    rules: list[Rule] = []
    kept_for: dict[int, int] = {}
    for index in order:
        antecedent = int(x[index])
        if kept_for.get(antecedent, 0) >= thresholds.max_rules_per_product:
            continue
        kept_for[antecedent] = kept_for.get(antecedent, 0) + 1
        rules.append(
            Rule(
                antecedent=names[antecedent],
                consequent=names[int(y[index])],
                support=float(support[index]),
                confidence=float(confidence[index]),
                lift=float(lift[index]),
                customers=round(float(both[index])),
            )
        )
    return rules
