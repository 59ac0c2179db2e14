"""How alike two records are: evidence per field, summed as log-odds and turned into a score.

Each comparison adds weight for agreement and takes weight for disagreement,
in proportion to how telling it is: a shared email says much, a shared phone
less (households and offices share one), a different date of birth or first
name says "another person" loudly (parent and child, colleagues). Missing
values add nothing either way.
"""

from __future__ import annotations

import math
from datetime import date

from rapidfuzz.distance import OSA, JaroWinkler

from crmkit.core.matching.nicknames import canonical_first_name
from crmkit.core.matching.record import MatchRecord

SCORE_MIDPOINT = 5.3
"""Evidence (log-odds) at which a pair scores 0.5; 7.5, strong evidence, scores 0.9."""


def similarity(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two folded texts; a text whose words are all in the other is 0.95."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    score = JaroWinkler.normalized_similarity(a, b)
    if score < 0.95 and (" " in a or " " in b):
        words_a, words_b = set(a.split()), set(b.split())
        if words_a <= words_b or words_b <= words_a:
            return 0.95
    return score


def _first_name_similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if len(a) == 1 or len(b) == 1:  # an initial
        return 0.9 if a[0] == b[0] else 0.0
    return similarity(canonical_first_name(a), canonical_first_name(b))


def _graded(score: float, exact: float, close: float, near: float, differ: float) -> float:
    if score >= 0.97:
        return exact
    if score >= 0.9:
        return close
    if score >= 0.82:
        return near
    return differ


def _name_likeness(a: str, b: str, score: float) -> float:
    """``score``, raised to "close" for one typing error in a name too short for Jaro-Winkler."""
    if score < 0.9 and len(a) >= 3 and len(b) >= 3 and OSA.distance(a, b, score_cutoff=1) <= 1:
        return 0.9
    return score


def _person_names(a: MatchRecord, b: MatchRecord) -> float:
    straight = (
        _first_name_similarity(a.first_name, b.first_name),
        similarity(a.last_name, b.last_name),
    )
    swapped = (
        _first_name_similarity(a.first_name, b.last_name),
        similarity(a.last_name, b.first_name),
    )
    is_swapped = sum(swapped) > sum(straight)
    first, last = swapped if is_swapped else straight
    first_b, last_b = (b.last_name, b.first_name) if is_swapped else (b.first_name, b.last_name)
    weight = 0.0
    if a.last_name and last_b:
        weight += _graded(_name_likeness(a.last_name, last_b, last), 3.0, 2.0, 0.0, -4.0)
    if a.first_name and first_b:
        weight += _graded(_name_likeness(a.first_name, first_b, first), 3.0, 1.5, 0.0, -7.0)
    return weight


def _birth_dates(a: date | None, b: date | None) -> float:
    if a is None or b is None:
        return 0.0
    if a == b:
        return 4.5
    if (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return 3.0  # the same date read day-first on one side and month-first on the other
    differing = (a.year != b.year) + (a.month != b.month) + (a.day != b.day)
    if differing == 1:
        return 1.0  # a typing error in one part
    return -6.0


def _address(a: MatchRecord, b: MatchRecord) -> float:
    if not (a.street and b.street):
        if (a.postcode and a.postcode == b.postcode) or (a.city and a.city == b.city):
            return 0.3
        return 0.0
    same_place = (a.postcode and a.postcode == b.postcode) or (
        a.city and similarity(a.city, b.city) >= 0.9
    )
    if not same_place:
        return -2.5
    if similarity(a.street, b.street) < 0.85:
        return 0.0
    if a.street_number and b.street_number and a.street_number != b.street_number:
        return -0.5
    return 2.5


def _shared(a: tuple[str, ...], b: tuple[str, ...], agree: float, differ: float) -> float:
    if not a or not b:
        return 0.0
    return agree if set(a) & set(b) else differ


def _identifiers(a: MatchRecord, b: MatchRecord) -> float:
    weight = 0.0
    if a.national_id and b.national_id:
        weight += 10.0 if a.national_id == b.national_id else -12.0
    if a.external_id and a.external_id == b.external_id:
        weight += 10.0
    return weight


def _names(a: MatchRecord, b: MatchRecord) -> float:
    if a.is_person and b.is_person:
        return _person_names(a, b)
    if a.organisation and b.organisation and not (a.is_person or b.is_person):
        return _graded(similarity(a.organisation, b.organisation), 6.0, 3.0, 0.0, -5.0)
    return -3.0  # a person and an organisation, or a record without a name


def evidence(a: MatchRecord, b: MatchRecord) -> float:
    """The log-odds that ``a`` and ``b`` are one party, summed over every field."""
    weight = _names(a, b) + _identifiers(a, b) + _address(a, b)
    weight += _birth_dates(a.birth_date, b.birth_date)
    weight += _shared(a.emails, b.emails, 5.0, -1.0)
    weight += _shared(a.phones, b.phones, 2.5, -0.7)
    if a.country and b.country and a.country != b.country:
        weight -= 2.0
    return weight


def score_pair(a: MatchRecord, b: MatchRecord) -> float:
    """How sure it is that ``a`` and ``b`` are the same person or organisation, in [0, 1]."""
    return 1.0 / (1.0 + math.exp(SCORE_MIDPOINT - evidence(a, b)))
