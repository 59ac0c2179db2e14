"""Candidate pairs that cannot reach a threshold, told apart in bulk before any is compared.

Most candidate pairs of a large file are different people who share a common
name and a city, or a household's address and phone. Comparing each one field
by field costs microseconds in Python; but the most evidence a pair can reach
follows from a few exact facts held as arrays (dates of birth, countries, and
whether ids, emails and phones are present, equal or of one length), with the
best level the weights allow for everything else (names, address). A pair
whose best is below the threshold is dropped unseen: the pairs kept, and so
every pair found, are exactly those a full comparison of all would keep.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence, Sized
from operator import attrgetter
from typing import TYPE_CHECKING

from crmkit.core.matching.compare import COMPARISONS
from crmkit.core.matching.record import MatchRecord
from crmkit.core.matching.weights import Weights

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Numbers = npt.NDArray[np.int64]
    Evidence = npt.NDArray[np.float64]

_SLACK = 1e-9
"""Evidence is summed in another order here than when scored: pairs this close below are kept."""


def _position(name: str) -> int:
    return next(i for i, c in enumerate(COMPARISONS) if c.name == name)


class _Sides:
    """Facts about both records of every candidate pair, as arrays over the pairs."""

    def __init__(self, records: Sequence[MatchRecord], first: Numbers, second: Numbers) -> None:
        self.records, self.first, self.second = records, first, second

    def numbers(self, values: Iterable[int]) -> tuple[Numbers, Numbers]:
        """``values`` (one per record) on the first and on the second side of each pair."""
        import numpy as np

        numbers = np.fromiter(values, np.int64, len(self.records))
        return numbers[self.first], numbers[self.second]

    def texts(self, texts: Sequence[str]) -> tuple[Numbers, Numbers]:
        """Each record's text as its hash: equal for equal texts.

        Two different texts of one hash (a chance of one in 2**64 for a pair)
        would count as equal, which the fixed weights weigh highest of all levels.
        """
        return self.numbers(map(hash, texts))

    def lengths(self, values: Sequence[Sized]) -> tuple[Numbers, Numbers]:
        return self.numbers(map(len, values))


def _birth_dates(sides: _Sides, weights: Sequence[float]) -> Evidence:
    """Exactly as :func:`~crmkit.core.matching.compare.compare` grades them."""
    import numpy as np

    date_a, date_b = sides.numbers(
        d.year * 10_000 + d.month * 100 + d.day if d else 0
        for d in map(attrgetter("birth_date"), sides.records)
    )
    year_a, year_b = date_a // 10_000, date_b // 10_000
    month_a, month_b = date_a // 100 % 100, date_b // 100 % 100
    day_a, day_b = date_a % 100, date_b % 100
    differing = (year_a != year_b).astype(np.int64) + (month_a != month_b) + (day_a != day_b)
    levels = np.select(
        [
            (date_a == 0) | (date_b == 0),
            differing == 0,
            (year_a == year_b) & (month_a == day_b) & (day_a == month_b),
            differing == 1,
        ],
        [0, 1, 2, 3],
        4,
    )
    return np.asarray(weights, np.float64)[levels]


def _identifiers(sides: _Sides, field: str, weights: Sequence[float]) -> Evidence:
    """Missing, equal, mistyped (possible in two values of one length) or different."""
    import numpy as np

    values = list(map(attrgetter(field), sides.records))
    code_a, code_b = sides.texts(values)
    length_a, length_b = sides.lengths(values)
    return np.select(
        [
            (length_a == 0) | (length_b == 0),
            code_a == code_b,
            (length_a == length_b) & (length_a >= 2),
        ],
        [weights[0], weights[1], max(weights[2], weights[3])],
        weights[3],
    )


def _contact_points(sides: _Sides, field: str, weights: Sequence[float]) -> Evidence:
    """Emails and phones: missing, shared, (phones only) mistyped, different.

    Exact where both records have one each; the best of shared and not otherwise.
    """
    import numpy as np

    points = list(map(attrgetter(field), sides.records))
    firsts = [values[0] if values else "" for values in points]
    count_a, count_b = sides.lengths(points)
    code_a, code_b = sides.texts(firsts)
    length_a, length_b = sides.lengths(firsts)
    could_be_mistyped = (length_a == length_b) & (length_a >= 2) & (len(weights) == 4)
    return np.select(
        [
            (count_a == 0) | (count_b == 0),
            (count_a > 1) | (count_b > 1),
            code_a == code_b,
            could_be_mistyped,
        ],
        [weights[0], max(weights[1:]), weights[1], max(weights[2:])],
        weights[-1],
    )


def _countries(sides: _Sides, weights: Sequence[float]) -> Evidence:
    import numpy as np

    countries = [r.country for r in sides.records]
    code_a, code_b = sides.texts(countries)
    length_a, length_b = sides.lengths(countries)
    return np.select(
        [(length_a == 0) | (length_b == 0), code_a == code_b],
        [weights[0], weights[1]],
        weights[2],
    )


def _names_at_best(weights: Weights) -> float:
    """Both persons (a first and a last name), a nameless one reached alike (an equal
    last name), or organisations: the best any pair can reach."""
    first, last, organisation = (
        weights.levels[_position(name)] for name in ("first_name", "last_name", "organisation")
    )
    return max(
        max(first) + max(last) + organisation[0],
        first[0] + last[1] + organisation[0],
        first[0] + last[0] + max(organisation),
    )


def reachable(
    records: Sequence[MatchRecord],
    first: Numbers,
    second: Numbers,
    weights: Weights,
    threshold: float,
) -> npt.NDArray[np.bool_]:
    """Which candidate pairs (``first[i]``, ``second[i]``) could score ``threshold`` or more."""
    import numpy as np

    if not 0.0 < threshold < 1.0:
        return np.ones(len(first), dtype=np.bool_)
    sides = _Sides(records, first, second)
    levels = {c.name: weights.levels[i] for i, c in enumerate(COMPARISONS)}
    evidence = _birth_dates(sides, levels["birth_date"])
    evidence += weights.prior + _names_at_best(weights) + max(levels["address"])
    evidence += _identifiers(sides, "national_id", levels["national_id"])
    evidence += _identifiers(sides, "external_id", levels["external_id"])
    evidence += _contact_points(sides, "emails", levels["email"])
    evidence += _contact_points(sides, "phones", levels["phone"])
    evidence += _countries(sides, levels["country"])
    return np.asarray(evidence >= math.log(threshold / (1.0 - threshold)) - _SLACK)
