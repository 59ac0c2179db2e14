"""Accent folding, shared by search terms, identity matching and the demo's generated addresses."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=65_536)
def strip_accents(text: str) -> str:
    """``text`` decomposed (NFKD) without its combining marks: "Crème Brûlée" -> "Creme Brulee".

    Letters NFKD does not take apart stay as they are (``ß``, ``ø``, ``æ``, ``ł``,
    the Turkish dotless i): each caller decides what they become.
    """
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
