"""Purchases read in bulk as numpy arrays, for the customer models (lifetime value, RFM,
churn, suggestions)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

import numpy as np
from attrs import frozen
from numpy.typing import NDArray
from sqlalchemy import Connection, select

from crmkit_analytics.transactions.tables import purchase

SECONDS_PER_DAY = 86_400.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@frozen
class PurchaseArrays:
    """One entry per purchase line, sorted by party then time.

    ``t`` is the time in days since 1970-01-01 UTC (a float); ``product`` indexes
    ``products`` (-1: no product named)."""

    party_id: NDArray[np.int64]
    t: NDArray[np.float64]
    amount: NDArray[np.float64]
    product: NDArray[np.int32]
    products: list[str]

    def __len__(self) -> int:
        return int(self.party_id.shape[0])


def days_since_epoch(moment: datetime) -> float:
    """``moment`` (naive: UTC) as days since 1970-01-01 UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH).total_seconds() / SECONDS_PER_DAY


def purchase_arrays(
    conn: Connection,
    *,
    until: datetime | None = None,
    party_ids: Collection[int] | None = None,
) -> PurchaseArrays:
    """Every purchase line (before ``until`` when given, of ``party_ids`` when given)."""
    query = select(
        purchase.c.party_id, purchase.c.occurred_at, purchase.c.amount, purchase.c.product
    ).order_by(purchase.c.party_id, purchase.c.occurred_at, purchase.c.id)
    if until is not None:
        query = query.where(purchase.c.occurred_at < until)
    if party_ids is not None:
        query = query.where(purchase.c.party_id.in_(list(party_ids)))
    rows = conn.execute(query).all()
    codes: dict[str, int] = {}
    product = np.empty(len(rows), dtype=np.int32)
    for index, row in enumerate(rows):
        product[index] = -1 if row.product is None else codes.setdefault(row.product, len(codes))
    return PurchaseArrays(
        party_id=np.fromiter((row.party_id for row in rows), dtype=np.int64, count=len(rows)),
        t=np.fromiter(
            (days_since_epoch(row.occurred_at) for row in rows), dtype=np.float64, count=len(rows)
        ),
        amount=np.fromiter((row.amount for row in rows), dtype=np.float64, count=len(rows)),
        product=product,
        products=list(codes),
    )
