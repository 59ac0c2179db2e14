"""Whether a message reads like a complaint: a small rule, on purpose easy to explain.

A message is a complaint when one of its words begins with one of the words below (in
English, German, French, Spanish, Italian and Dutch) or with one of the setting
``complaint_words``, unless the word right before it negates it ("no complaints", "nicht
kaputt"; "no refund" is still one). ``complaint_detection = false`` turns the rule off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from attrs import frozen

WORDS: tuple[str, ...] = (
    # English
    "complain", "refund", "broken", "defect", "faulty", "terrible", "awful", "worst",
    "disappoint", "unacceptable", "angry", "furious", "scam", "rip-off", "useless",
    # German
    "beschwer", "reklamation", "kaputt", "defekt", "mangelhaft", "enttäusch", "unverschämt",
    "katastroph", "ärgerlich", "rückerstattung", "betrug", "frechheit",
    # French
    "plainte", "réclamation", "rembourse", "cassé", "défectueu", "déçu", "inacceptable",
    "scandaleu", "arnaque",
    # Spanish
    "queja", "reclamación", "reembolso", "roto", "defectuos", "decepcionad", "inaceptable",
    "pésim", "estafa",
    # Italian
    "reclamo", "lamentel", "rimborso", "rotto", "difettos", "delus", "inaccettabile",
    "pessim", "truffa",
    # Dutch
    "klacht", "terugbetaling", "kapot", "teleurgesteld", "onacceptabel", "oplichting",
)  # fmt: skip

WANTED: tuple[str, ...] = (
    "refund", "rückerstattung", "rembourse", "reembolso", "rimborso", "terugbetaling",
)  # fmt: skip
"""Words of what a complainer wants: "no refund" is still a complaint."""

NEGATIONS = frozenset({
    "no", "not", "never", "without", "zero",
    "kein", "keine", "keinen", "keiner", "keinerlei", "nicht", "ohne", "nie",
    "pas", "sans", "aucun", "aucune", "jamais",
    "sin", "ningún", "ninguna", "nunca",
    "non", "nessun", "nessuna", "senza", "mai",
    "geen", "niet", "zonder", "nooit",
})  # fmt: skip
"""A complaint word right after one of these is none ("no complaints", "nicht kaputt")."""

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


@frozen
class Complaint:
    """What ``social_complaint`` is offered."""

    party_id: int
    platform: str
    """``facebook`` or ``instagram``."""
    page_id: str
    kind: str
    """``message``, ``comment``, ``post`` or ``mention``."""
    text: str
    sender_name: str | None
    message_id: int
    """The ``social_message`` row."""
    conversation_id: int
    matched: tuple[str, ...]
    """The words that made it a complaint."""


def complaint_words(text: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The words of ``text`` that make it a complaint (none: it is not one)."""
    stems = (*WORDS, *extra)
    found = []
    words = _WORD.findall(text.casefold())
    for at, word in enumerate(words):
        if not any(word.startswith(stem) for stem in stems):
            continue
        negated = at > 0 and words[at - 1] in NEGATIONS
        if negated and not any(word.startswith(stem) for stem in WANTED):
            continue
        found.append(word)
    return tuple(dict.fromkeys(found))
