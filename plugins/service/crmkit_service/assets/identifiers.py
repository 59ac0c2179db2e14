"""Serial numbers and vehicle identification numbers (VIN, ISO 3779) as an asset record holds them."""

from __future__ import annotations

import re

from crmkit import ValidationError

SERIAL_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9 ./_-]{0,63}")
VIN_PATTERN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
"""17 characters; I, O and Q are never used (they read as 1 and 0)."""

_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
CHECK_DIGIT_REGIONS = "12345"
"""First characters of VINs made for North America, where the 9th character is a check digit (49 CFR 565)."""


def vin_check_digit(vin: str) -> str:
    """The check digit (a digit or ``X``) the 9th character of ``vin`` must be."""
    remainder = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def read_vin(field: str, value: object) -> str:
    """A VIN, upper-cased and without spaces; refused naming ``field`` when it cannot be one."""
    if not isinstance(value, str):
        raise ValidationError(field, "expected text")
    vin = value.replace(" ", "").upper()
    if len(vin) != 17:
        raise ValidationError(field, f"a VIN has 17 characters, not {len(vin)}")
    if not VIN_PATTERN.fullmatch(vin):
        raise ValidationError(field, "a VIN holds letters and digits only, never I, O or Q")
    if vin[0] in CHECK_DIGIT_REGIONS and vin[8] != vin_check_digit(vin):
        raise ValidationError(
            field, f"check digit (9th character) should be {vin_check_digit(vin)}, not {vin[8]}"
        )
    return vin


def read_serial_number(field: str, value: object) -> str:
    """A serial number, upper-cased: letters, digits, spaces and ``. / _ -``, at most 64 characters."""
    if not isinstance(value, str):
        raise ValidationError(field, "expected text")
    serial = value.strip().upper()
    if not SERIAL_PATTERN.fullmatch(serial):
        raise ValidationError(
            field,
            "expected 1 to 64 letters, digits, spaces or . / _ - starting with a letter or digit",
        )
    return serial
