"""Reading one answer page's posted form: each asked question's answer, or why it is refused.

The form's field names (what ``templates/surveys/answering/page.html`` renders):
``q.<key>`` a score, an option key (``_other`` for "other") or a text; ``q.<key>.<option>``
a ticked option of a multiple choice, ``q.<key>._other`` its "other"; ``q.<key>._text``
the text of an "other". Keys are lower-case identifiers, so ``_other`` and ``_text`` are
never an option's key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from attrs import frozen

from crmkit_surveys.answering.model import Given
from crmkit_surveys.definitions.model import Question

PAGE_FIELDS = ("page", "lang", "action")
OTHER = "_other"
TICKED = frozenset({"on", "true", "1", "yes"})
FORM_ERROR = "_form"
"""Where an error of the whole form (a field nobody asked for) is kept."""


def field(question: Question, part: str | None = None) -> str:
    return f"q.{question.key}" if part is None else f"q.{question.key}.{part}"


def fields_of(question: Question) -> set[str]:
    """The names the question's inputs may post."""
    names = {field(question)} if question.kind != "multiple" else set()
    if question.kind == "multiple":
        names |= {field(question, o.key) for o in question.options}
        if question.other:
            names.add(field(question, OTHER))
    if question.other:
        names.add(field(question, "_text"))
    return names


@frozen
class PageInput:
    """What a page's form said: per asked question its answer (None: left blank), and per
    question (or ``_form``) why it was refused."""

    given: dict[str, Given | None]
    errors: dict[str, str]


def _text(value: str | None) -> str | None:
    """The text as written, its line breaks as ``\n``: a browser posts a textarea's breaks as
    CRLF while its ``maxlength`` counts each as one character, so the limit counts them so."""
    stripped = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    return stripped or None


def _too_long(text: str | None, limit: int, words: Mapping[str, str]) -> str | None:
    if text is not None and len(text) > limit:
        return words["too_long"].format(limit=limit, length=len(text))
    return None


def _score(
    question: Question, raw: str, words: Mapping[str, str]
) -> tuple[Given | None, str | None]:
    assert question.scale is not None
    low, high = question.scale
    text = raw.strip()
    if not text:
        return None, None
    if not text.isascii() or not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        return None, words["out_of_scale"].format(low=low, high=high)
    return Given(score=int(text)), None


def _single(
    question: Question, form: Mapping[str, str], limit: int, words: Mapping[str, str]
) -> tuple[Given | None, str | None]:
    chosen = form.get(field(question), "").strip()
    other = _text(form.get(field(question, "_text")))
    if not chosen:
        return None, None
    if chosen == OTHER and question.other:
        if other is None:
            return None, words["other_missing"]
        return Given(choices=(), text=other), _too_long(other, limit, words)
    if chosen not in {o.key for o in question.options}:
        return None, words["choose_listed"]
    # The text beside "other" counts only when "other" is the choice.
    return Given(choices=(chosen,)), None


def _multiple(
    question: Question, form: Mapping[str, str], limit: int, words: Mapping[str, str]
) -> tuple[Given | None, str | None]:
    chosen = tuple(o.key for o in question.options if form.get(field(question, o.key)) in TICKED)
    ticked_other = question.other and form.get(field(question, OTHER)) in TICKED
    # As for a single choice, the text beside "other" counts only when "other" is ticked.
    other = _text(form.get(field(question, "_text"))) if ticked_other else None
    if ticked_other and other is None:
        return None, words["other_missing"]
    if not chosen and other is None:
        return None, None
    return Given(choices=chosen, text=other), _too_long(other, limit, words)


def _answer(
    question: Question, form: Mapping[str, str], limit: int, words: Mapping[str, str]
) -> tuple[Given | None, str | None]:
    if question.scale is not None:
        return _score(question, form.get(field(question), ""), words)
    if question.kind == "single":
        return _single(question, form, limit, words)
    if question.kind == "multiple":
        return _multiple(question, form, limit, words)
    text = _text(form.get(field(question)))
    return (None if text is None else Given(text=text)), _too_long(text, limit, words)


def read_page(
    questions: Sequence[Question],
    form: Mapping[str, str],
    *,
    text_limit: int,
    words: Mapping[str, str],
    required: bool = True,
) -> PageInput:
    """The answers the form gives to ``questions`` (the page's asked ones). ``required``:
    whether an unanswered required question is refused (going back, it is not)."""
    known = set(PAGE_FIELDS).union(*(fields_of(q) for q in questions))
    errors: dict[str, str] = {}
    if any(name not in known for name in form):
        errors[FORM_ERROR] = words["unknown"]
    given: dict[str, Given | None] = {}
    for question in questions:
        answer, error = _answer(question, form, text_limit, words)
        if error is None and answer is None and required and question.required:
            error = words["missing"] if question.kind != "single" else words["choose_one"]
        if error is not None:
            errors[question.key] = error
        given[question.key] = answer
    return PageInput(given=given, errors=errors)
