"""NPS, CSAT and means with their intervals, against figures worked out by hand."""

from __future__ import annotations

import math

import pytest
from crmkit_surveys.results import figures
from crmkit_surveys.results.figures import Mean, Nps, Share


def test_nps_is_promoters_less_detractors_with_the_variance_of_a_difference_of_shares() -> None:
    # 50 promoters, 30 passives, 20 detractors: NPS 30; var = (0.5 + 0.2 - 0.09) / 100 = 0.0061,
    # se = 0.078102, margin = 1.96 * se = 0.153078 -> 30 -/+ 15.31.
    assert figures.nps(50, 30, 20) == Nps(100, 50, 30, 20, 30.0, 14.69, 45.31)


def test_nps_from_score_counts_puts_9_and_10_up_7_and_8_aside_and_0_to_6_down() -> None:
    scores = {10: 2, 9: 1, 8: 1, 7: 1, 6: 1, 0: 1}
    found = figures.nps_of(scores)
    assert found is not None
    assert (found.promoters, found.passives, found.detractors) == (3, 2, 2)
    assert found.score == round(100 * (3 - 2) / 7, 2)


def test_an_nps_interval_is_clipped_to_minus_100_and_100() -> None:
    # 9 promoters, 1 detractor: NPS 80, var = (1 - 0.64) / 10 = 0.036, margin 37.19.
    found = figures.nps(9, 0, 1)
    assert found is not None and (found.score, found.low, found.high) == (80.0, 42.81, 100.0)


def test_no_answers_give_no_figure() -> None:
    assert figures.nps(0, 0, 0) is None
    assert figures.nps_of({}) is None
    assert figures.csat_of({}) is None
    assert figures.share(0, 0) is None
    assert figures.mean_of({}, (1, 5)) is None


def test_csat_is_the_share_of_4_and_5_with_a_wilson_interval() -> None:
    # 8 of 10 satisfied: Wilson centre (0.8 + 1.9208/10) / 1.38415 = 0.71673, half-width
    # 1.96 * sqrt(0.016 + 0.0096040) / 1.38415 = 0.22657 -> 49.02 .. 94.33.
    assert figures.csat_of({5: 5, 4: 3, 3: 1, 1: 1}) == Share(10, 8, 80.0, 49.02, 94.33)


def test_a_wilson_interval_stays_inside_0_and_100_at_the_extremes() -> None:
    # All 3 satisfied: the interval does not collapse onto 100 %, as a Wald interval would.
    found = figures.share(3, 3)
    assert found is not None and found.percent == 100.0 and found.high == 100.0
    assert found.low == pytest.approx(43.85, abs=0.01)
    assert figures.share(0, 1) == Share(1, 0, 0.0, 0.0, 79.35)


def test_a_mean_has_a_student_t_interval() -> None:
    # Scores 1, 2, 3, 4, 5: mean 3, s = sqrt(2.5), t(4) = 2.776 -> 3 -/+ 1.963.
    found = figures.mean_of({1: 1, 2: 1, 3: 1, 4: 1, 5: 1}, (1, 5))
    margin = 2.776 * math.sqrt(2.5) / math.sqrt(5)
    assert found == Mean(5, 3.0, round(3 - margin, 2), round(3 + margin, 2))


def test_a_mean_interval_is_clipped_to_the_scale_and_one_answer_spans_it_all() -> None:
    # Nine 7s and a 1: mean 6.4, s = sqrt(3.6), t(9) = 2.262 -> 6.4 -/+ 1.357, above 7 clipped.
    assert figures.mean_of({7: 9, 1: 1}, (1, 7)) == Mean(10, 6.4, 5.04, 7.0)
    assert figures.mean_of({4: 1}, (1, 7)) == Mean(1, 4.0, 1.0, 7.0)


def test_the_t_quantile_comes_from_the_table_then_approaches_the_normal_one() -> None:
    assert figures.t_quantile(1) == 12.706
    assert figures.t_quantile(30) == 2.042
    assert figures.t_quantile(60) == pytest.approx(2.000, abs=0.001)
    assert figures.t_quantile(120) == pytest.approx(1.980, abs=0.001)
