"""How many SMS segments a text takes: GSM-7 when every character is in its tables, else UCS-2.

GSM 03.38: a single message holds 160 septets, and each part of a concatenated
one 153 (the user data header takes the rest). A character of the extension
table is sent as ESC plus itself, two septets that are never split between
parts. UCS-2 (in practice UTF-16) holds 70 code units, 67 per part; a character
outside the Basic Multilingual Plane (most emoji) is a surrogate pair of two units,
also never split.
"""

from __future__ import annotations

from typing import Literal

from attrs import frozen

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

Encoding = Literal["GSM-7", "UCS-2"]
LIMITS: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}
"""Units of a single message, and of each part of a concatenated one."""


@frozen
class Segments:
    """What a text costs to send."""

    encoding: Encoding
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2)."""
    count: int
    """Segments: 0 for an empty text."""


def _units(text: str) -> tuple[Encoding, list[int]]:
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        return "GSM-7", [2 if c in GSM7_EXTENSION else 1 for c in text]
    return "UCS-2", [2 if ord(c) > 0xFFFF else 1 for c in text]


def count_segments(text: str) -> Segments:
    """The encoding ``text`` is sent in and how many segments it takes."""
    encoding, units = _units(text)
    single, part = LIMITS[encoding]
    total = sum(units)
    if total <= single:
        return Segments(encoding, total, 1 if total else 0)
    count, used = 1, 0
    for size in units:  # a character never straddles two parts
        if used + size > part:
            count, used = count + 1, 0
        used += size
    return Segments(encoding, total, count)
