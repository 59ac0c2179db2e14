"""BG/NBD and Gamma-Gamma: parameters recovered from data drawn with known ones, the same
fit and predictions as the reference implementation (``lifetimes``), the summary statistics
counted as it counts them, and refusals that say why."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from crmkit_analytics.transactions import clv

TRUE = {"r": 0.8, "alpha": 12.0, "a": 0.9, "b": 4.0, "p": 6.0, "q": 4.0, "v": 90.0}


@pytest.fixture(scope="module")
def drawn() -> clv.Summary:
    """50,000 customers over two years, drawn in continuous time from ``TRUE``."""
    rng = np.random.default_rng(20261207)
    ids, t, amount = clv.simulate(rng, 50_000, observe_days=730.0, **TRUE)
    return clv.summarise(ids, t, amount, 730.0, by_day=False)


def reference() -> Any:
    return pytest.importorskip(
        "lifetimes", reason="the reference library lifetimes is not installed (bench extra)"
    )


def test_the_fit_recovers_the_parameters_the_data_was_drawn_with(drawn: clv.Summary) -> None:
    bg = clv.fit_bg_nbd(drawn.frequency, drawn.recency, drawn.T)
    gg = clv.fit_gamma_gamma(drawn.frequency, drawn.monetary)
    found = {**bg.as_dict(), **gg.as_dict()}
    # Sampling error with 50,000 customers is a few per cent for BG/NBD; Gamma-Gamma's p, q
    # and v trade off against each other (about 5 % each), the mean spend they imply does not.
    for name in ("r", "alpha", "a", "b"):
        assert found[name] == pytest.approx(TRUE[name], rel=0.06), name
    for name in ("p", "q", "v"):
        assert found[name] == pytest.approx(TRUE[name], rel=0.15), name
    mean_spend = TRUE["p"] * TRUE["v"] / (TRUE["q"] - 1)
    assert gg.p * gg.v / (gg.q - 1) == pytest.approx(mean_spend, rel=0.03)
    truth = np.array([TRUE["r"], TRUE["alpha"], TRUE["a"], TRUE["b"]])
    at_truth = clv.bg_log_likelihood(truth, drawn.frequency, drawn.recency, drawn.T).sum()
    assert bg.log_likelihood >= at_truth  # the maximum is the maximum
    assert bg.log_likelihood - at_truth < 10  # and the truth is near it


def test_fit_and_predictions_agree_with_the_reference_within_one_per_cent(
    drawn: clv.Summary,
) -> None:
    lifetimes = reference()
    bg = clv.fit_bg_nbd(drawn.frequency, drawn.recency, drawn.T)
    gg = clv.fit_gamma_gamma(drawn.frequency, drawn.monetary)
    ref_bg = lifetimes.BetaGeoFitter().fit(drawn.frequency, drawn.recency, drawn.T)
    repeat = drawn.frequency > 0
    ref_gg = lifetimes.GammaGammaFitter().fit(drawn.frequency[repeat], drawn.monetary[repeat])
    for name, value in bg.as_dict().items():
        assert value == pytest.approx(ref_bg.params_[name], rel=0.01), name
    for name, value in gg.as_dict().items():
        assert value == pytest.approx(ref_gg.params_[name], rel=0.01), name
    some = slice(0, 3000)
    x, tx, T, m = drawn.frequency[some], drawn.recency[some], drawn.T[some], drawn.monetary[some]
    np.testing.assert_allclose(
        clv.expected_purchases(bg, 90.0, x, tx, T),
        ref_bg.conditional_expected_number_of_purchases_up_to_time(90.0, x, tx, T),
        rtol=0.01,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        clv.p_alive(bg, x, tx, T), ref_bg.conditional_probability_alive(x, tx, T), rtol=0.01
    )
    np.testing.assert_allclose(
        clv.expected_spend(gg, x, m),
        np.asarray(ref_gg.conditional_expected_average_profit(x, m)),
        rtol=0.01,
    )


def test_lifetime_value_discounts_each_months_expected_spend(drawn: clv.Summary) -> None:
    bg = clv.fit_bg_nbd(drawn.frequency, drawn.recency, drawn.T)
    gg = clv.fit_gamma_gamma(drawn.frequency, drawn.monetary)
    args = (drawn.frequency[:50], drawn.recency[:50], drawn.T[:50], drawn.monetary[:50])
    undiscounted = clv.lifetime_value(bg, gg, *args, horizon_days=365, discount_rate=0.0)
    spend = clv.expected_spend(gg, args[0], args[3])
    expected = clv.expected_purchases(bg, 365.0, *args[:3])
    np.testing.assert_allclose(undiscounted, spend * expected, rtol=1e-9)
    discounted = clv.lifetime_value(bg, gg, *args, horizon_days=365, discount_rate=0.10)
    assert np.all(discounted < undiscounted)
    assert np.all(discounted > undiscounted / 1.10)  # nothing is discounted more than a year
    longer = clv.lifetime_value(bg, gg, *args, horizon_days=730, discount_rate=0.10)
    assert np.all(longer > discounted)


def test_summary_counts_days_as_the_reference_does() -> None:
    lifetimes = reference()
    pandas = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    ids, t, amount = clv.simulate(
        rng, 400, observe_days=400.0, start_days=20_000.0, **{**TRUE, "alpha": 4.0}
    )
    dates = pandas.to_datetime(np.floor(t), unit="D")
    frame = pandas.DataFrame({"customer": ids, "date": dates, "amount": amount})
    end_day = 20_300.0  # calibration ends (inclusive) on this day
    cal_end = pandas.Timestamp(end_day, unit="D")
    hold_end = pandas.Timestamp(end_day + 100, unit="D")
    ref = lifetimes.utils.calibration_and_holdout_data(
        frame, "customer", "date", cal_end, hold_end, monetary_value_col="amount"
    ).sort_index()
    ours = clv.summarise(ids, t, amount, end_day, cutoff=end_day + 1)
    assert ours.customer.tolist() == ref.index.tolist()
    np.testing.assert_array_equal(ours.frequency, ref["frequency_cal"].to_numpy())
    np.testing.assert_array_equal(ours.recency, ref["recency_cal"].to_numpy())
    np.testing.assert_array_equal(ours.T, ref["T_cal"].to_numpy())
    np.testing.assert_allclose(ours.monetary, ref["monetary_value_cal"].to_numpy(), rtol=1e-9)
    buyers, counts = clv.count_between(ids, t, end_day + 1, end_day + 101)
    holdout = dict(zip(buyers.tolist(), counts.tolist(), strict=True))
    expected = ref["frequency_holdout"].to_dict()
    assert {c: holdout.get(c, 0.0) for c in expected} == expected


def test_same_day_purchases_are_one_and_lines_after_the_cutoff_are_left_out() -> None:
    ids = np.array([7, 7, 7, 7, 9, 9])
    t = np.array([100.2, 100.7, 103.5, 120.0, 101.0, 105.0])
    amount = np.array([10.0, 5.0, 20.0, 99.0, 8.0, 12.0])
    found = clv.summarise(ids, t, amount, 110.0)
    assert found.customer.tolist() == [7, 9]
    assert found.frequency.tolist() == [1.0, 1.0]
    assert found.recency.tolist() == [3.0, 4.0]
    assert found.T.tolist() == [10.0, 9.0]
    assert found.monetary.tolist() == [20.0, 12.0]  # repeat purchases only
    shuffled = np.array([3, 0, 5, 1, 2, 4])
    again = clv.summarise(ids[shuffled], t[shuffled], amount[shuffled], 110.0)
    assert again.recency.tolist() == found.recency.tolist()


def test_refusals_say_why() -> None:
    with pytest.raises(clv.ModelError, match="at least two customers"):
        clv.fit_bg_nbd(np.array([3.0]), np.array([10.0]), np.array([20.0]))
    with pytest.raises(clv.ModelError, match="no customer bought twice"):
        clv.fit_bg_nbd(np.zeros(5), np.zeros(5), np.full(5, 30.0))
    with pytest.raises(clv.ModelError, match="recency must lie between 0 and T"):
        clv.fit_bg_nbd(np.array([1.0, 2.0]), np.array([40.0, 3.0]), np.array([30.0, 30.0]))
    with pytest.raises(clv.ModelError, match="repeat purchase"):
        clv.fit_gamma_gamma(np.array([0.0, 0.0, 2.0]), np.array([0.0, 0.0, 5.0]))
    with pytest.raises(clv.ModelError, match="repeat purchase of positive value"):
        clv.fit_gamma_gamma(np.array([1.0, 2.0]), np.array([0.0, 5.0]))
