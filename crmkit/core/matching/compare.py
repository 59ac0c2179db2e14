"""How alike two records are, field by field: one comparison level per field (Fellegi-Sunter).

Each comparison puts a pair of records on one of a few levels ("equal",
"one digit mistyped", "different", ...); level 0 of every comparison means a
value is missing on one side, which says nothing either way. What each level
is worth is not decided here but in :mod:`~crmkit.core.matching.weights`: a
fixed set for single records, and for a whole file a set estimated from the
file itself (:mod:`~crmkit.core.matching.estimate`).

Identifiers and numbers (national id, external id, postcode, house number,
phone) are graded: equal, one digit substituted or two neighbours swapped, or
different. Names are graded by likeness, so that one letter dropped, added,
substituted or swapped, in the first name, the last name or both, and in
swapped first and last names too, still counts as close.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from attrs import frozen
from rapidfuzz.distance import OSA, JaroWinkler

from crmkit.core.matching.nicknames import canonical_first_name, forms_of
from crmkit.core.matching.record import MatchRecord
from crmkit.core.matching.weights import DEFAULT_WEIGHTS


@frozen
class Comparison:
    """One field's comparison and the names of its levels; level 0 is "missing"."""

    name: str
    levels: tuple[str, ...]


COMPARISONS: tuple[Comparison, ...] = (
    Comparison("first_name", ("missing", "equal", "initial", "close", "near", "different")),
    Comparison("last_name", ("missing", "equal", "close", "near", "different")),
    Comparison(
        "organisation", ("not two", "equal", "close", "near", "different", "not the same kind")
    ),
    Comparison(
        "birth_date", ("missing", "equal", "day and month swapped", "one part", "different")
    ),
    Comparison(
        "address",
        (
            "missing",
            "same place, a street missing",
            "another place",
            "another street",
            "another house number",
            "house number mistyped",
            "equal",
        ),
    ),
    Comparison("email", ("missing", "shared", "different")),
    Comparison("phone", ("missing", "shared", "mistyped", "different")),
    Comparison("national_id", ("missing", "equal", "mistyped", "different")),
    Comparison("external_id", ("missing", "equal", "mistyped", "different")),
    Comparison("country", ("missing", "equal", "different")),
)
"""Every comparison, in the order :func:`compare` gives their levels."""

Pattern = tuple[int, ...]
"""The level of each comparison of :data:`COMPARISONS` for one pair of records."""

_EQUAL, _CLOSE, _NEAR, _DIFFERENT = 1, 2, 3, 4


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


def _likeness(score: float) -> int:
    if score >= 0.97:
        return _EQUAL
    if score >= 0.9:
        return _CLOSE
    if score >= 0.82:
        return _NEAR
    return _DIFFERENT


def _one_typing_error(a: str, b: str) -> bool:
    """One letter dropped, added, substituted, or two neighbours swapped."""
    return OSA.distance(a, b, score_cutoff=1) <= 1


def _name_level(a: str, b: str) -> int:
    """Likeness of two names; one typing error in a name of at least three letters is close."""
    if a == b:
        return _EQUAL
    level = _likeness(similarity(a, b))
    if level > _CLOSE and len(a) >= 3 and len(b) >= 3 and _one_typing_error(a, b):
        return _CLOSE
    return level


_GENDER_ENDINGS = frozenset("aeio")


def _other_gender(a: str, b: str) -> bool:
    """ "Daniel" and "Daniela", "Mario" and "Maria": one name's form for a man and for a woman.

    Twins and siblings are named so; typing errors seldom change or add the last letter.
    """
    shorter, longer = sorted((a, b), key=len)
    if len(longer) == len(shorter) + 1:
        return longer.startswith(shorter) and longer[-1] in _GENDER_ENDINGS
    return (
        len(a) == len(b) >= 3
        and a != b
        and a[:-1] == b[:-1]
        and a[-1] in _GENDER_ENDINGS
        and b[-1] in _GENDER_ENDINGS
    )


def _first_name_level(a: str, b: str) -> int:
    """Like :func:`_name_level`, nicknames resolved; an initial is its own level (2).

    A mistyped nickname ("Pato" for "Paco") stands for no full name: the names
    as written are compared too, and the closer of the two counts; a name one
    typing error from any form of the other ("Jeenny", "Stffi") is close.
    """
    if a == b:
        return _EQUAL
    if len(a) == 1 or len(b) == 1:
        return 2 if a[0] == b[0] else 5
    if _other_gender(a, b):
        return 5
    level = _name_level(canonical_first_name(a), canonical_first_name(b))
    if level > _EQUAL:
        level = min(level, _name_level(a, b))
    if level > _CLOSE and (_typed_form(a, b) or _typed_form(b, a)):
        level = _CLOSE
    return level + 1 if level > _EQUAL else level


def _typed_form(typed: str, name: str) -> bool:
    """``typed`` is one typing error away from a form of ``name``: "Jeenny" for "Jennifer"."""
    return len(typed) >= 3 and any(
        len(form) >= 3 and _one_typing_error(typed, form) for form in forms_of(name)
    )


def _person_names(a: MatchRecord, b: MatchRecord) -> tuple[int, int]:
    """Levels of the first and the last name, compared straight or swapped, whichever is closer."""

    def levels(first_b: str, last_b: str) -> tuple[int, int]:
        first = _first_name_level(a.first_name, first_b) if a.first_name and first_b else 0
        last = _name_level(a.last_name, last_b) if a.last_name and last_b else 0
        return first, last

    straight = levels(b.first_name, b.last_name)
    if 0 < straight[0] <= _CLOSE + 1 and 0 < straight[1] <= _CLOSE:
        return straight  # both close at least: swapped, they could not be closer
    swapped = levels(b.last_name, b.first_name)
    # Fewer steps from "equal" is closer; a missing name (0) counts as far.
    return min(straight, swapped, key=lambda pair: sum(level or 6 for level in pair))


def _reached_alike(a: MatchRecord, b: MatchRecord) -> bool:
    """One record has no name (a party known by how to reach it alone), neither is an
    organisation's, and they share an exact email address or phone number.

    That contact point is all the nameless one is known by, so it counts as an
    equal name: a person's real name then merges into the party it stood in for,
    and a repeat of the nameless event finds it. An address shared with an
    organisation is an office's, which tells no one apart: it counts as before.
    """
    if (a.is_person and b.is_person) or a.organisation or b.organisation:
        return False
    return bool(set(a.emails) & set(b.emails) or set(a.phones) & set(b.phones))


def _organisations(a: MatchRecord, b: MatchRecord) -> int:
    if a.is_person and b.is_person:
        return 0
    if a.organisation and b.organisation and not (a.is_person or b.is_person):
        return _likeness(similarity(a.organisation, b.organisation))
    return 5  # a person and an organisation, or a record without a name


def _birth_dates(a: date | None, b: date | None) -> int:
    if a is None or b is None:
        return 0
    if a == b:
        return 1
    if (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return 2  # the same date read day-first on one side and month-first on the other
    differing = (a.year != b.year) + (a.month != b.month) + (a.day != b.day)
    return 3 if differing == 1 else 4


def _mistyped(a: str, b: str) -> bool:
    """One digit (or character) substituted or two neighbours swapped, in values of two or more."""
    return len(a) == len(b) >= 2 and _one_typing_error(a, b)


def _identifier(a: str, b: str) -> int:
    if not a or not b:
        return 0
    if a == b:
        return 1
    return 2 if _mistyped(a, b) else 3


def _address(a: MatchRecord, b: MatchRecord) -> int:
    same_postcode = bool(a.postcode) and a.postcode == b.postcode
    if not (a.street and b.street):
        return 1 if same_postcode or (a.city and a.city == b.city) else 0
    same_place = (
        same_postcode
        or (a.city and similarity(a.city, b.city) >= 0.9)
        or (a.postcode and b.postcode and _mistyped(a.postcode, b.postcode))
    )
    if not same_place:
        return 2
    if similarity(a.street, b.street) < 0.85:
        return 3
    number_a, number_b = a.street_number, b.street_number
    if number_a and number_b and number_a != number_b:
        return 5 if _mistyped(number_a, number_b) else 4
    return 6


def _emails(a: Sequence[str], b: Sequence[str]) -> int:
    if not a or not b:
        return 0
    return 2 if set(a).isdisjoint(b) else 1


def _phones(a: Sequence[str], b: Sequence[str]) -> int:
    if not a or not b:
        return 0
    if not set(a).isdisjoint(b):
        return 1
    return 2 if any(_mistyped(x, y) for x in a for y in b) else 3


def compare(a: MatchRecord, b: MatchRecord) -> Pattern:
    """The level of every comparison of :data:`COMPARISONS` for ``a`` and ``b`` (symmetric)."""
    if a.is_person and b.is_person:
        (first, last), organisation = _person_names(a, b), 0
    elif _reached_alike(a, b):
        first, last, organisation = 0, _EQUAL, 0
    else:
        first, last, organisation = 0, 0, _organisations(a, b)
    country = 0 if not (a.country and b.country) else 1 if a.country == b.country else 2
    return (
        first,
        last,
        organisation,
        _birth_dates(a.birth_date, b.birth_date),
        _address(a, b),
        _emails(a.emails, b.emails),
        _phones(a.phones, b.phones),
        _identifier(a.national_id, b.national_id),
        _identifier(a.external_id, b.external_id),
        country,
    )


def score_pair(a: MatchRecord, b: MatchRecord) -> float:
    """How sure it is that ``a`` and ``b`` are the same person or organisation, in [0, 1].

    Scored with the fixed :data:`~crmkit.core.matching.weights.DEFAULT_WEIGHTS`.
    """
    return DEFAULT_WEIGHTS.score(compare(a, b))
