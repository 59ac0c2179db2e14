"""Accent folding exists once (crmkit.core.text); search terms, match keys and demo addresses keep their bytes."""

from __future__ import annotations

import re
import unicodedata

import pytest

from crmkit.core.matching.text import fold, fold_name
from crmkit.core.search import normalise, typed_terms
from crmkit.core.text import strip_accents
from crmkit.demo.data import ascii_fold

# Names with what folding must get right: accents, letters NFKD keeps whole (ß, ø,
# æ, œ, ł, đ, ð, þ), Turkish i's, ligatures, other scripts, capitals of each.
NAMES = [
    "Jürgen Groß",
    "GROSSE STRAẞE",
    "Søren Kierkegaard",
    "ØRSTED",
    "Ærøskøbing",
    "Cæsar Œuvre œil",
    "Łódź Wałęsa",
    "Đorđe Đoković",
    "Þórður Guðmundsson",
    "Iğd\u0131r İstanbul \u0131sparta IŞIK",
    "Müller Mueller MÜLLER",
    "François Müller-Lüdenscheidt",
    "Zoë O'Brien-Smith",
    "José María Núñez",
    "Dvořák Škoda Čapek",
    "Nguyễn Thị Minh Khai",
    "Åsa Ångström",
    "ﬁnanz ﬂoß Ⅻ ½ ²",
    "\uff26\uff35\uff2c\uff2c width \uff2d\u00fcller",
    "Σίσυφος ΟΔΥΣΣΕΥΣ",
    "Дмитрий Йошкар-Ола",
    "한국 서울",
    "مُحَمَّد",
    "שָׁלוֹם",
    "dé\u0301cor",
    "Ångström\u00a0& Søn, GmbH (Köln).",
    "jürgen.groß+crm@bücher.example",
    "",
]


# The implementations before they shared crmkit.core.text.strip_accents, verbatim.
_LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
_UMLAUT_SPELLINGS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def old_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


def old_fold_name(text: str) -> str:
    folded = old_fold(text)
    for spelling, letter in _UMLAUT_SPELLINGS:
        folded = folded.replace(spelling, letter)
    return folded


def old_normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def old_ascii_fold(text: str) -> str:
    text = text.replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9.-]", "", decomposed.encode("ascii", "ignore").decode().lower())


@pytest.mark.parametrize("name", NAMES)
def test_match_keys_are_byte_identical_to_the_old_folding(name: str) -> None:
    assert fold(name) == old_fold(name)
    assert fold_name(name) == old_fold_name(name)


@pytest.mark.parametrize("name", NAMES)
def test_search_terms_are_byte_identical_to_the_old_folding(name: str) -> None:
    assert normalise(name) == old_normalise(name)
    assert normalise(name).encode() == old_normalise(name).encode()


@pytest.mark.parametrize("name", NAMES)
def test_demo_email_parts_are_byte_identical_to_the_old_folding(name: str) -> None:
    assert ascii_fold(name) == old_ascii_fold(name)


def test_strip_accents_drops_marks_and_keeps_letters_nfkd_does_not_take_apart() -> None:
    assert strip_accents("Crème Brûlée Dvořák Nguyễn") == "Creme Brulee Dvorak Nguyen"
    assert strip_accents("Groß Søren Æ Łódź \u0131") == "Groß Søren Æ Łodz \u0131"
    assert strip_accents("İ") == "I"
    assert strip_accents("ﬁ \uff2d") == "fi M"
    assert strip_accents("") == ""


def test_a_typed_word_finds_the_term_of_the_accented_name() -> None:
    assert typed_terms("KRÜGER") == typed_terms("kruger") == ["kruger"]
    assert typed_terms("Groß") == ["gross"]
