"""The churn model on arrays: its features, labels and AUC, a fit that recovers known weights,
and a held-out period on which it beats the plain recency rule."""

from __future__ import annotations

import numpy as np
import pytest
from crmkit_analytics.churn import model, synthetic


def history(orders: list[tuple[int, float, float]], **more: object) -> model.History:
    party = np.array([p for p, _, _ in orders], np.int64)
    t = np.array([t for _, t, _ in orders], np.float64)
    amount = np.array([a for _, _, a in orders], np.float64)
    return model.History.of_lines(party, t, amount, **more)  # type: ignore[arg-type]


def test_silence_is_measured_against_the_customers_own_rhythm() -> None:
    found = history(
        [
            # Weekly buyer, silent for 28 days: four times their rhythm.
            (1, 100.0, 10.0),
            (1, 107.0, 10.0),
            (1, 114.0, 10.0),
            (1, 121.0, 10.0),
            # Buys every 45 days on average, silent for 30: two thirds of their rhythm.
            (2, 29.0, 50.0),
            (2, 89.0, 50.0),
            (2, 119.0, 5.0),
            (2, 119.0, 5.0),
            # Later lines are not seen at day 149.
            (2, 150.0, 50.0),
        ]
    )
    snap = model.snapshot(found, 149.0, window=30, usual_gap=90, signal_days=180)
    assert snap.party.tolist() == [1, 2]
    assert snap.orders.tolist() == [4, 3]  # two lines at one moment are one order
    assert snap.silence_days.tolist() == [28.0, 30.0]
    assert snap.silence_ratio.tolist() == pytest.approx([4.0, 30 / 45])
    # Party 1 spent 10 in the last 30 days (119, 149] against 30 in the 30 before; party 2
    # nothing against 10.
    assert snap.spend_change.tolist() == pytest.approx([-0.5, -1.0])
    assert model.labels(found, snap, 30).tolist() == [True, False]


def test_signals_and_contacts_count_within_their_windows() -> None:
    found = history(
        [(1, 10.0, 1.0), (2, 10.0, 1.0), (3, 10.0, 1.0)],
        contacts=(np.array([1, 1, 2]), np.array([20.0, 90.0, 30.0])),
        signals=(
            np.array([1, 2, 2]),
            np.array([50.0, 80.0, 99.0]),
            np.array([False, True, False]),
            np.array([1.0, 0.5, 1.0]),
        ),
    )
    snap = model.snapshot(found, 95.0, window=30, usual_gap=90, signal_days=40)
    assert snap.complaints.tolist() == [0.0, 0.0, 0.0]  # 50 is too old, 99 not yet
    assert snap.detractors.tolist() == [0.0, 0.5, 0.0]
    assert snap.days_since_contact[:2].tolist() == [5.0, 65.0]
    assert np.isnan(snap.days_since_contact[2])


def test_auc() -> None:
    y = np.array([True, True, False, False])
    assert model.auc(np.array([4.0, 3.0, 2.0, 1.0]), y) == 1.0
    assert model.auc(np.array([1.0, 2.0, 3.0, 4.0]), y) == 0.0
    assert model.auc(np.array([1.0, 1.0, 1.0, 1.0]), y) == 0.5
    assert model.auc(np.array([1.0, 2.0]), np.array([True, True])) is None


def test_fit_recovers_known_weights() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40_000, len(model.FEATURES)))
    true = np.array([1.2, -0.8, 0.5, 0.0, 0.3, -0.4])
    y = rng.random(len(x)) < 1 / (1 + np.exp(-(x @ true - 0.3)))
    fitted = model.fit(x, y)
    assert fitted.fitted
    # Weights are on standardised features: scale back to the raw ones.
    raw = np.array(fitted.coefficients) / np.array(fitted.scales)
    assert raw == pytest.approx(true, abs=0.05)


def test_customers_silent_too_long_are_left_out() -> None:
    found = history([(1, 10.0, 1.0), (2, 300.0, 1.0), (3, 500.0, 1.0)])
    snap = model.snapshot(found, 400.0, window=30, usual_gap=90, signal_days=40, active_days=365)
    assert snap.party.tolist() == [2]  # 1 silent for 390 days; 3 not a customer yet


def test_too_little_history_keeps_the_starting_weights() -> None:
    x = np.ones((5, len(model.FEATURES)))
    fitted = model.fit(x, np.array([True, False, True, False, True]))
    assert not fitted.fitted
    assert fitted.coefficients == model.STARTING_WEIGHTS


def test_model_beats_the_recency_rule_on_a_held_out_window() -> None:
    made = synthetic.generate(4000, seed=11)
    result = model.evaluate(
        made.history, made.end, window=90, usual_gap=90, signal_days=180, active_days=365
    )
    assert result.model.fitted
    assert result.defected > 100 and result.tested_on - result.defected > 100
    assert result.model_auc is not None and result.recency_auc is not None
    assert result.model_auc > result.recency_auc + 0.02
    # The weights point the way the generated process does.
    weights = dict(zip(model.FEATURES, result.model.coefficients, strict=True))
    assert weights["silence"] > 0 and weights["complaints"] > 0 and weights["detractors"] > 0
