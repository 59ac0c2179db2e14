"""Dates of birth as they arrive: ``19800131``, ``1980-01-31``, ``31/01/1980``, ``31.01.1980``."""

from __future__ import annotations

import re
from datetime import date

# Regions that write the month before the day (01/31/1980).
MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW"})

_PARTS = re.compile(r"(\d{1,4})[-/. ](\d{1,2})[-/. ](\d{2,4})")


def _make(year: int, month: int, day: int) -> date | None:
    if not 1850 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_birth_date(raw: str, *, region: str) -> date | None:
    """The date ``raw`` stands for, or None when it is no date in a known format.

    ``D/M/Y`` and ``M/D/Y`` look alike; the region decides which is tried first,
    the other is used when the first gives no valid date (``12/31/1980`` in Germany).
    """
    text = raw.strip()[:10]
    if text.isdigit() and len(text) == 8:
        as_ymd = _make(int(text[:4]), int(text[4:6]), int(text[6:]))
        return as_ymd or _make(int(text[4:]), int(text[2:4]), int(text[:2]))
    match = _PARTS.fullmatch(text)
    if match is None:
        return None
    first, second, third = match.groups()
    if len(first) == 4:
        return _make(int(first), int(second), int(third))
    if len(third) != 4:
        return None
    year, a, b = int(third), int(first), int(second)
    if region in MONTH_FIRST_REGIONS:
        return _make(year, a, b) or _make(year, b, a)
    return _make(year, b, a) or _make(year, a, b)
