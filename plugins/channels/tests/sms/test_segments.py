"""Segment counting: GSM-7 (160/153, extension characters count two), UCS-2 (70/67, surrogate pairs)."""

from __future__ import annotations

import pytest
from crmkit_channels.segments import Segments, count_segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Segments("GSM-7", 0, 0)),
        ("Your code is 4711.", Segments("GSM-7", 18, 1)),
        ("a" * 160, Segments("GSM-7", 160, 1)),
        ("a" * 161, Segments("GSM-7", 161, 2)),
        ("a" * 306, Segments("GSM-7", 306, 2)),
        ("a" * 307, Segments("GSM-7", 307, 3)),
        # The extension table (€ [ ] { } ~ ^ | \ and form feed) takes ESC plus the character.
        ("€" * 80, Segments("GSM-7", 160, 1)),
        ("€" * 81, Segments("GSM-7", 162, 2)),
        ("[x]{y}~^|\\", Segments("GSM-7", 18, 1)),
        # ... and ESC never ends a part: 306 septets, yet the € opens a third part.
        ("a" * 152 + "€" + "a" * 152, Segments("GSM-7", 306, 3)),
        # GSM-7 has Ç, é, ü, Δ, but not ç nor δ.
        ("Ça coûte 5€", Segments("UCS-2", 11, 1)),
        ("Ça va, Δ, é, ü, ñ, à", Segments("GSM-7", 20, 1)),
        ("ç" * 70, Segments("UCS-2", 70, 1)),
        ("ç" * 71, Segments("UCS-2", 71, 2)),
        ("ç" * 134, Segments("UCS-2", 134, 2)),
        ("ç" * 135, Segments("UCS-2", 135, 3)),
        ("Привет, как дела?", Segments("UCS-2", 17, 1)),
        # An emoji outside the BMP is a surrogate pair: two units, never split between parts.
        ("😀" * 35, Segments("UCS-2", 70, 1)),
        ("😀" * 36, Segments("UCS-2", 72, 2)),
        ("a" * 66 + "😀" + "a" * 66, Segments("UCS-2", 134, 3)),
    ],
)
def test_known_examples(text: str, expected: Segments) -> None:
    assert count_segments(text) == expected
