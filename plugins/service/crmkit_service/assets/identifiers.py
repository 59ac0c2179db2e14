"""Serial numbers as an asset record holds them (a VIN is read by ``crmkit.read_vin``)."""

from __future__ import annotations

import re

from crmkit import ValidationError

SERIAL_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9 ./_-]{0,63}")


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
