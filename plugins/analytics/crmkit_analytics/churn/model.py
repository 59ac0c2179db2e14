"""The churn model, on numpy arrays alone (no database): features of each customer at a
moment, the label (no purchase in the following window), a logistic regression fitted by
maximum likelihood (``scipy.optimize``), the AUC, and the reasons behind a score.

Features of a customer who bought before the moment ``T``:

- ``silence``: days since their last order against their own rhythm (the mean gap between
  their orders; ``usual_gap_days`` with a single order), as ``log1p(ratio)``;
- ``spend``: falling spend, ``(before - last) / (before + last)`` of the spend in the last
  window against the window before it (-1 .. 1, 1: stopped spending);
- ``complaints``: open complaints and other signals (summed weights) in ``signal_days``;
- ``detractors``: detractor answers (signals of kind ``detractor``), the same way;
- ``no_contact``: days since the last interaction (capped at two years), as ``log1p``;
- ``orders``: their number of orders, as ``log1p`` (a long relationship holds better).

The plain recency rule ranks customers by days since their last order alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from attrs import frozen
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.stats import rankdata

FEATURES = ("silence", "spend", "complaints", "detractors", "no_contact", "orders")
STARTING_WEIGHTS = (1.5, 1.0, 0.8, 0.8, 0.3, -0.3)
"""The weights (on standardised features) used until there is history to fit on."""
NO_CONTACT_CAP = 730.0
L2 = 1e-3
Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@frozen
class History:
    """Orders, contacts and signals, each sorted by party then time (``t``: days since
    1970-01-01, floats). An order is one (party, time) of the purchase lines."""

    order_party: Ints
    order_t: Floats
    order_amount: Floats
    contact_party: Ints
    contact_t: Floats
    signal_party: Ints
    signal_t: Floats
    signal_detractor: NDArray[np.bool_]
    signal_weight: Floats

    @classmethod
    def of_lines(
        cls,
        party: Ints,
        t: Floats,
        amount: Floats,
        contacts: tuple[Ints, Floats] | None = None,
        signals: tuple[Ints, Floats, NDArray[np.bool_], Floats] | None = None,
    ) -> History:
        """From purchase lines sorted by party then time: lines at one time are one order."""
        if len(party):
            new = np.r_[True, (party[1:] != party[:-1]) | (t[1:] != t[:-1])]
            starts = np.flatnonzero(new)
            order_party, order_t = party[starts], t[starts]
            order_amount = np.add.reduceat(amount, starts)
        else:
            order_party, order_t, order_amount = party, t, amount
        empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0, np.float64)
        c_party, c_t = contacts if contacts is not None else (empty_i, empty_f)
        s_party, s_t, s_det, s_w = (
            signals if signals is not None else (empty_i, empty_f, np.zeros(0, bool), empty_f)
        )
        return cls(
            np.asarray(order_party, np.int64),
            np.asarray(order_t, np.float64),
            np.asarray(order_amount, np.float64),
            np.asarray(c_party, np.int64),
            np.asarray(c_t, np.float64),
            np.asarray(s_party, np.int64),
            np.asarray(s_t, np.float64),
            np.asarray(s_det, bool),
            np.asarray(s_w, np.float64),
        )


@frozen
class Snapshot:
    """Every customer who had bought by ``at``, with their raw facts and features."""

    at: float
    party: Ints
    silence_days: Floats
    silence_ratio: Floats
    usual_gap: Floats
    recent_spend: Floats
    prior_spend: Floats
    spend_change: Floats
    complaints: Floats
    detractors: Floats
    days_since_contact: Floats
    """NaN: never contacted."""
    orders: Floats

    def matrix(self) -> Floats:
        contact = np.where(
            np.isnan(self.days_since_contact),
            NO_CONTACT_CAP,
            np.minimum(self.days_since_contact, NO_CONTACT_CAP),
        )
        return np.column_stack(
            [
                np.log1p(self.silence_ratio),
                -self.spend_change,
                np.log1p(self.complaints),
                np.log1p(self.detractors),
                np.log1p(contact),
                np.log1p(self.orders),
            ]
        )


def _per_party(parties: Ints, party: Ints, values: Floats) -> Floats:
    """Sum of ``values`` per party of ``parties`` (sorted); parties not there get 0."""
    out = np.zeros(len(parties))
    if len(party) and len(parties):
        where = np.searchsorted(parties, party)
        known = (where < len(parties)) & (parties[np.minimum(where, len(parties) - 1)] == party)
        np.add.at(out, where[known], values[known])
    return out


def _last_before(parties: Ints, party: Ints, t: Floats, at: float) -> Floats:
    """The latest ``t`` at or before ``at`` per party (NaN: none)."""
    out = np.full(len(parties), np.nan)
    keep = t <= at
    party, t = party[keep], t[keep]
    if len(party) and len(parties):
        where = np.searchsorted(parties, party)
        known = (where < len(parties)) & (parties[np.minimum(where, len(parties) - 1)] == party)
        latest = np.full(len(parties), -np.inf)
        np.maximum.at(latest, where[known], t[known])
        out = np.where(np.isfinite(latest), latest, np.nan)
    return out


def snapshot(
    history: History,
    at: float,
    *,
    window: float,
    usual_gap: float,
    signal_days: float,
    active_days: float | None = None,
) -> Snapshot:
    """The customers who had bought by ``at`` (and, with ``active_days``, within that many days
    before it: longer silent customers are lost already) and their features at that moment."""
    seen = history.order_t <= at
    party, t, amount = history.order_party[seen], history.order_t[seen], history.order_amount[seen]
    parties, first_index, counts = np.unique(party, return_index=True, return_counts=True)
    last_index = first_index + counts - 1
    first, last = t[first_index], t[last_index]
    orders = counts.astype(np.float64)
    gap = np.where(counts > 1, (last - first) / np.maximum(counts - 1, 1), usual_gap)
    gap = np.maximum(gap, 1.0)
    silence = at - last
    recent = t > at - window
    prior = (t > at - 2 * window) & ~recent
    recent_spend = _per_party(parties, party[recent], amount[recent])
    prior_spend = _per_party(parties, party[prior], amount[prior])
    both = recent_spend + prior_spend
    change = np.where(both > 0, (recent_spend - prior_spend) / np.where(both > 0, both, 1.0), 0.0)
    fresh = (history.signal_t <= at) & (history.signal_t > at - signal_days)
    det = history.signal_detractor & fresh
    other = ~history.signal_detractor & fresh
    contact = _last_before(parties, history.contact_party, history.contact_t, at)
    keep = np.ones(len(parties), bool) if active_days is None else silence <= active_days
    return Snapshot(
        at=at,
        party=parties[keep],
        silence_days=silence[keep],
        silence_ratio=(silence / gap)[keep],
        usual_gap=gap[keep],
        recent_spend=recent_spend[keep],
        prior_spend=prior_spend[keep],
        spend_change=change[keep],
        complaints=_per_party(parties, history.signal_party[other], history.signal_weight[other])[
            keep
        ],
        detractors=_per_party(parties, history.signal_party[det], history.signal_weight[det])[keep],
        days_since_contact=(at - contact)[keep],
        orders=orders[keep],
    )


def labels(history: History, snap: Snapshot, window: float) -> NDArray[np.bool_]:
    """True for each customer of ``snap`` who bought nothing in the window after it."""
    later = (history.order_t > snap.at) & (history.order_t <= snap.at + window)
    return ~np.isin(snap.party, history.order_party[later])


def auc(score: Floats, positive: NDArray[np.bool_]) -> float | None:
    """The area under the ROC curve (Mann-Whitney); None without both classes."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@frozen
class Model:
    """A logistic regression on standardised features."""

    coefficients: tuple[float, ...]
    intercept: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    fitted: bool
    """False: the starting weights (too little history to fit)."""

    def standardised(self, x: Floats) -> Floats:
        return (x - np.array(self.means)) / np.array(self.scales)

    def contributions(self, x: Floats) -> Floats:
        return self.standardised(x) * np.array(self.coefficients)

    def predict(self, x: Floats) -> Floats:
        z = self.contributions(x).sum(axis=1) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)

    def parameters(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "coefficients": list(self.coefficients),
            "intercept": self.intercept,
            "means": list(self.means),
            "scales": list(self.scales),
            "fitted": self.fitted,
        }

    @classmethod
    def from_parameters(cls, found: dict[str, Any]) -> Model:
        return cls(
            tuple(found["coefficients"]),
            float(found["intercept"]),
            tuple(found["means"]),
            tuple(found["scales"]),
            bool(found["fitted"]),
        )


def _scaling(x: Floats) -> tuple[Floats, Floats]:
    if len(x) == 0:
        return np.zeros(len(FEATURES)), np.ones(len(FEATURES))
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    return means, np.where(scales > 1e-9, scales, 1.0)


def starting_model(x: Floats) -> Model:
    means, scales = _scaling(x)
    return Model(STARTING_WEIGHTS, 0.0, tuple(means.tolist()), tuple(scales.tolist()), fitted=False)


def fit(x: Floats, y: NDArray[np.bool_], *, min_training: int = 50) -> Model:
    """Maximum likelihood (with a faint L2 penalty) by L-BFGS; the starting weights when there
    are fewer than ``min_training`` customers or a single class."""
    positives = int(y.sum())
    if len(y) < min_training or positives == 0 or positives == len(y):
        return starting_model(x)
    means, scales = _scaling(x)
    z = (x - means) / scales
    design = np.column_stack([np.ones(len(z)), z])
    target = y.astype(np.float64)

    def loss(w: Floats) -> tuple[float, Floats]:
        logits = design @ w
        # log(1 + e^l) - y l, stably; its gradient is design' (p - y).
        value = np.logaddexp(0.0, logits).sum() - target @ logits
        p = 1.0 / (1.0 + np.exp(-logits))
        grad = design.T @ (p - target)
        penalty = L2 * len(target)
        value += 0.5 * penalty * float(w[1:] @ w[1:])
        grad[1:] += penalty * w[1:]
        return float(value), grad

    result = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B")
    w = result.x
    return Model(
        tuple(float(v) for v in w[1:]),
        float(w[0]),
        tuple(means.tolist()),
        tuple(scales.tolist()),
        fitted=True,
    )


@frozen
class Evaluation:
    """The model fitted one window back, scored on the last window, against the recency rule."""

    train_at: float
    test_at: float
    trained_on: int
    tested_on: int
    defected: int
    model_auc: float | None
    recency_auc: float | None
    model: Model


def evaluate(
    history: History,
    at: float,
    *,
    window: float,
    usual_gap: float,
    signal_days: float,
    active_days: float | None = None,
    min_training: int = 50,
) -> Evaluation:
    """Fit on the customers at ``at - 2 window`` (labelled by the window after), test on those
    at ``at - window`` (labelled by the window up to ``at``): nothing of the test window is
    seen in fitting."""
    options: dict[str, Any] = {
        "window": window,
        "usual_gap": usual_gap,
        "signal_days": signal_days,
        "active_days": active_days,
    }
    train = snapshot(history, at - 2 * window, **options)
    test = snapshot(history, at - window, **options)
    model = fit(train.matrix(), labels(history, train, window), min_training=min_training)
    y = labels(history, test, window)
    return Evaluation(
        train_at=train.at,
        test_at=test.at,
        trained_on=len(train.party),
        tested_on=len(test.party),
        defected=int(y.sum()),
        model_auc=auc(model.predict(test.matrix()), y),
        recency_auc=auc(test.silence_days, y),
        model=model,
    )
