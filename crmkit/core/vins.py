"""Vehicle identification numbers (ISO 3779): checked, then read.

A VIN is 17 characters from an alphabet without I, O and Q. Position 9 is a check digit
(FMVSS 115, 49 CFR 565) required in North America only; elsewhere it is often a plain
manufacturer code, so it is enforced only for the markets named. Position 10 codes the
model year in a 30-year cycle; NHTSA tells the cycles apart by position 7 (a digit for
1980-2009, a letter for 2010-2039). Assets, leads and dealer systems all carry VINs.
"""

from __future__ import annotations

from attrs import frozen

from crmkit.core.errors import ValidationError

LENGTH = 17
ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
VIN_CHECK_DIGIT_MARKETS = ("US", "CA", "MX")
"""The markets where the check digit is the law: the default of ``check_digit_markets``."""

_VALUES = {
    **{digit: int(digit) for digit in "0123456789"},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
"""Position 10, in order from 1980 (and again from 2010): no I, O, Q, U, Z nor 0."""

_REGIONS = (
    ("ABCDEFGH", "Africa"),
    ("JKLMNPR", "Asia"),
    ("STUVWXYZ", "Europe"),
    ("12345", "North America"),
    ("67", "Oceania"),
    ("89", "South America"),
)


@frozen
class Vin:
    """A checked VIN and what it tells without a manufacturer's catalogue."""

    text: str
    wmi: str
    """The world manufacturer identifier, positions 1-3."""
    region: str
    """Where the manufacturer is registered (from position 1)."""
    country: str | None
    """The North American country of manufacture (US, CA, MX), else None."""
    model_year: int | None
    """From position 10; None when position 10 is no year code."""
    check_digit_ok: bool
    """Whether position 9 matches the ISO 3779 check digit (only enforced where required)."""


def vin_check_digit(text: str) -> str:
    """The check digit of a 17-character VIN in the VIN alphabet: '0'-'9' or 'X'."""
    total = sum(_VALUES[char] * weight for char, weight in zip(text, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def _country(wmi: str) -> str | None:
    first = wmi[0]
    if first in "145":
        return "US"
    if first == "2":
        return "CA"
    if first == "3" and wmi[1] in "ABCDEFGHJKLMNPRSTUVW":
        return "MX"
    return None


def _model_year(text: str) -> int | None:
    code = text[9]
    if code not in _YEAR_CODES:
        return None
    offset = _YEAR_CODES.index(code)
    return (2010 if text[6].isalpha() else 1980) + offset


def read_vin(
    field: str,
    value: object,
    *,
    market: str | None = None,
    check_digit_markets: tuple[str, ...] = VIN_CHECK_DIGIT_MARKETS,
) -> Vin:
    """``value`` as a checked VIN (spaces and dashes dropped, upper-cased); refused with a
    :class:`ValidationError` naming ``field`` when it cannot be one.

    The check digit is enforced when the market of sale (``market``, an ISO country code,
    such as the owner's country) or, when unknown, the North American country the VIN
    names is in ``check_digit_markets``.
    """
    if not isinstance(value, str):
        raise ValidationError(field, "expected text")
    cleaned = "".join(value.split()).replace("-", "").upper()
    if len(cleaned) != LENGTH:
        raise ValidationError(field, f"a VIN has {LENGTH} characters, not {len(cleaned)}")
    wrong = sorted(set(cleaned) - ALPHABET)
    if wrong:
        listed = ", ".join(repr(char) for char in wrong)
        why = (
            "letters I, O, Q are never used"
            if set(wrong) <= set("IOQ")
            else "only digits and the letters A-Z but I, O, Q"
        )
        raise ValidationError(field, f"a VIN has no {listed} ({why})")
    wmi = cleaned[:3]
    region = next((name for firsts, name in _REGIONS if wmi[0] in firsts), None)
    if region is None:
        raise ValidationError(field, f"no manufacturer region starts with {wmi[0]!r} (position 1)")
    country = _country(wmi)
    expected = vin_check_digit(cleaned)
    ok = cleaned[8] == expected
    where = (market or country or "").upper()
    if not ok and where in check_digit_markets:
        raise ValidationError(
            field, f"check digit (position 9) is {cleaned[8]!r}, {expected!r} was expected"
        )
    return Vin(
        text=cleaned,
        wmi=wmi,
        region=region,
        country=country,
        model_year=_model_year(cleaned),
        check_digit_ok=ok,
    )
