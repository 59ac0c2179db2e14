"""The complaint rule: words of several languages, the beginnings of words, extra words."""

from __future__ import annotations

import pytest
from crmkit_social.conversations.complaints import complaint_words


@pytest.mark.parametrize(
    "text",
    [
        "I want a refund, the door is broken.",
        "Ich möchte mich beschweren: der Wagen ist schon wieder kaputt.",
        "Je suis très déçu, c'est inacceptable.",
        "Quiero poner una queja.",
        "Il motore è rotto, voglio un rimborso.",
        "Ik heb een klacht over de reparatie.",
        "REKLAMATION!!!",
    ],
)
def test_a_complaint_is_found_in_each_language(text: str) -> None:
    assert complaint_words(text)


@pytest.mark.parametrize(
    "text",
    [
        "Wann ist mein Auto fertig?",
        "Thanks, see you tomorrow!",
        "Merci beaucoup !",
        "",
        "No complaints at all, great service!",
        "Der Wagen ist nicht kaputt, nur schmutzig.",
        "Aucune plainte, merci !",
    ],
)
def test_an_ordinary_message_is_no_complaint(text: str) -> None:
    assert complaint_words(text) == ()


def test_extra_words_count_and_the_matched_words_are_named() -> None:
    assert complaint_words("Das ist eine Zumutung", ("zumutung",)) == ("zumutung",)
    assert complaint_words("Kaputt, kaputt, defekt") == ("kaputt", "defekt")


def test_a_refund_not_given_is_still_a_complaint() -> None:
    assert complaint_words("Still no refund after three weeks") == ("refund",)
    assert complaint_words("Keine Rückerstattung bis heute") == ("rückerstattung",)
