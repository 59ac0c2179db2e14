"""What a survey is: its questions, pages, branching and texts, as every part reads them.

A version's ``definition`` column holds the JSON form (docs/definitions.md):

    {"languages": ["en", "de"],                # the first is the default
     "title": {"en": "How did we do?", "de": "Wie waren wir?"},
     "intro": {...}, "thanks": {...},          # optional, per language
     "pages": [                                # answered one page after the other
       {"questions": [
         {"key": "nps", "kind": "nps", "required": true,
          "text": {"en": "How likely ...", "de": "Wie wahrscheinlich ..."}},
         {"key": "why", "kind": "text", "required": false, "text": {...},
          "show_if": {"question": "nps", "max": 6}}]},
       {"questions": [
         {"key": "topics", "kind": "multiple", "options": [
            {"key": "price", "text": {"en": "Price", "de": "Preis"}}, ...],
          "other": true, "text": {...}}]}]}

Kinds and what an answer holds: ``nps`` (score 0..10), ``csat`` (score 1..5), ``rating``
(score on ``scale``, default 1..5), ``single`` (one option key), ``multiple`` (option keys),
``text`` (free text). ``show_if`` names a question on an earlier page and either ``in``
(scores or option keys) or ``min``/``max`` (scores): the question is asked only when the
earlier answer meets it, and a question not asked is never required.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import field, frozen

KINDS = ("nps", "csat", "rating", "single", "multiple", "text")
SCORED = ("nps", "csat", "rating")
SCALES = {"nps": (0, 10), "csat": (1, 5)}
"""Fixed scales; a rating's is its own ``scale`` (default (1, 5))."""


@frozen
class Option:
    key: str
    text: dict[str, str]


@frozen
class Condition:
    """``show_if``: the question is asked when the answer to ``question`` meets this."""

    question: str
    values: tuple[Any, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None


@frozen
class Question:
    key: str
    kind: str
    text: dict[str, str]
    required: bool = False
    scale: tuple[int, int] | None = None
    # The scale of a scored question (nps and csat have their fixed one); None otherwise.
    options: tuple[Option, ...] = ()
    other: bool = False
    # single, multiple: the respondent may write an option of their own.
    show_if: Condition | None = None


@frozen
class Page:
    questions: tuple[Question, ...]


@frozen
class Definition:
    languages: tuple[str, ...]
    title: dict[str, str]
    pages: tuple[Page, ...]
    intro: dict[str, str] = field(factory=dict)
    thanks: dict[str, str] = field(factory=dict)

    def questions(self) -> tuple[Question, ...]:
        return tuple(q for page in self.pages for q in page.questions)


@frozen
class SurveyVersion:
    id: int
    survey_id: int
    number: int
    status: str
    definition: Definition
    created_at: datetime
    published_at: datetime | None


@frozen
class Survey:
    id: int
    name: str
    description: str | None
    status: str
    default_language: str
    published_version_id: int | None
    owner_id: int | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    version: int
