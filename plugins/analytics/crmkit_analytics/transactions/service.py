"""Lifetime value of the CRM's customers: the nightly fit over ``analytics_purchase`` and
each party's stored prediction."""

from __future__ import annotations

import logging
import math
from datetime import datetime

import numpy as np
from attrs import frozen
from sqlalchemy import Connection, delete, insert, select

from crmkit import Crm, utcnow
from crmkit_analytics.transactions import clv as model
from crmkit_analytics.transactions.reading import days_since_epoch, purchase_arrays
from crmkit_analytics.transactions.settings import TransactionsSettings
from crmkit_analytics.transactions.tables import clv

log = logging.getLogger(__name__)

BATCH = 1000


@frozen
class Refresh:
    """What a run of the job did: the customers valued (0 when it fitted nothing, with the
    reason) and the fitted parameters."""

    customers: int
    reason: str = ""
    parameters: dict[str, float] | None = None


def _settings(app: Crm) -> TransactionsSettings:
    found: TransactionsSettings = app.settings_of["analytics"].transactions
    return found


def refresh(app: Crm, *, now: datetime | None = None) -> Refresh:
    """Fit both models on every purchase before ``now`` (whole days up to today) and replace
    every party's stored value, in one transaction: a crash leaves the last run's values, a
    second run the same day writes the same rows again."""
    settings = _settings(app)
    now = now or utcnow()
    today = math.floor(days_since_epoch(now))
    with app.transaction() as tx:
        arrays = purchase_arrays(tx.conn, until=now)
        summary = model.summarise(
            arrays.party_id, arrays.t, arrays.amount, float(today), cutoff=float(today + 1)
        )
        if len(summary) < settings.min_customers:
            reason = (
                f"{len(summary)} customer(s) with purchases, fewer than the "
                f"{settings.min_customers} the fit needs"
            )
            log.info("analytics.clv: %s", reason)
            return Refresh(0, reason)
        try:
            result = model.fit_and_predict(
                summary,
                period_days=float(settings.prediction_days),
                horizon_days=settings.horizon_days,
                discount_rate=settings.discount_rate,
            )
        except model.ModelError as exc:
            log.warning("analytics.clv: %s", exc)
            return Refresh(0, str(exc))
        tx.conn.execute(delete(clv))
        fitted_at = utcnow()
        spend = np.where(summary.frequency > 0, result.expected_spend, np.nan)
        rows = [
            {
                "party_id": party_id,
                "frequency": int(frequency),
                "recency_days": float(recency),
                "age_days": float(age),
                "expected_purchases_90d": float(expected),
                "p_alive": float(alive),
                "expected_spend": None if math.isnan(value) else float(value),
                "clv": float(worth),
                "horizon_days": settings.horizon_days,
                "fitted_at": fitted_at,
            }
            for party_id, frequency, recency, age, expected, alive, value, worth in zip(
                summary.customer.tolist(),
                summary.frequency.tolist(),
                summary.recency.tolist(),
                summary.T.tolist(),
                result.expected_purchases.tolist(),
                result.p_alive.tolist(),
                spend.tolist(),
                result.clv.tolist(),
                strict=True,
            )
        ]
        for start in range(0, len(rows), BATCH):
            tx.conn.execute(insert(clv), rows[start : start + BATCH])
    parameters = {**result.bg.as_dict(), **result.gg.as_dict()}
    return Refresh(len(rows), parameters=parameters)


def refresh_job(app: Crm) -> str:
    done = refresh(app)
    return f"{done.customers} customer value(s)" + (f": {done.reason}" if done.reason else "")


@frozen
class PartyValue:
    """A party's predicted value, from the last nightly fit."""

    party_id: int
    frequency: int
    """Days with a purchase after the first."""
    recency_days: float
    """Days from the first purchase to the last."""
    age_days: float
    """Days from the first purchase to the fit."""
    expected_purchases_90d: float
    """Purchases expected in the next ``prediction_days`` (90 unless configured)."""
    p_alive: float
    """The probability that the customer still buys (has not left)."""
    expected_spend: float | None
    """The expected value of a purchase (null without a repeat purchase)."""
    clv: float
    """The discounted value of the purchases expected over ``horizon_days``."""
    horizon_days: int
    fitted_at: datetime


def value_of(conn: Connection, party_id: int) -> PartyValue | None:
    row = conn.execute(select(clv).where(clv.c.party_id == party_id)).mappings().first()
    return None if row is None else PartyValue(**row)
