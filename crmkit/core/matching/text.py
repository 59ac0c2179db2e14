"""Folding text for comparison: no case, no accents, no punctuation, German umlaut spellings merged."""

from __future__ import annotations

from functools import lru_cache

from crmkit.core.text import strip_accents

# Letters that NFKD does not take apart into a base letter and a mark.
_LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
_UMLAUT_SPELLINGS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower case, accents dropped, anything but letters and digits a single space."""
    bare = strip_accents(text.casefold().translate(_LETTERS))
    kept = "".join(c if c.isalnum() else " " for c in bare)
    return " ".join(kept.split())


@lru_cache(maxsize=200_000)
def fold_name(text: str) -> str:
    """:func:`fold` for names, where "Müller", "Mueller" and "Muller" are one spelling."""
    folded = fold(text)
    for spelling, letter in _UMLAUT_SPELLINGS:
        folded = folded.replace(spelling, letter)
    return folded
