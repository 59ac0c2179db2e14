"""Which pages and questions a respondent is asked, given their answers so far.

Branching only looks back (a ``show_if`` names a question on an earlier page), so the
answers that count are found in one pass over the pages: an answer to a question that is no
longer asked (an earlier answer changed since) neither shows nor hides anything.
"""

from __future__ import annotations

from collections.abc import Mapping

from crmkit_surveys.answering.model import Given
from crmkit_surveys.definitions.language import is_asked
from crmkit_surveys.definitions.model import Definition, Question


def counted(definition: Definition, given: Mapping[str, Given]) -> dict[str, Given]:
    """The answers of ``given`` to questions that are asked, given the answers before them."""
    found: dict[str, Given] = {}
    values: dict[str, object] = {}
    for page in definition.pages:
        asked = [q for q in page.questions if is_asked(q, values)]
        for question in asked:
            answer = given.get(question.key)
            if answer is not None:
                found[question.key] = answer
        # Only after the page: no question branches on an answer of its own page.
        values.update({key: found[key].value() for key in (q.key for q in asked) if key in found})
    return found


def asked_on(
    definition: Definition, index: int, given: Mapping[str, Given]
) -> tuple[Question, ...]:
    """The questions of page ``index`` that are asked."""
    values = {key: answer.value() for key, answer in counted(definition, given).items()}
    return tuple(q for q in definition.pages[index].questions if is_asked(q, values))


def shown_pages(definition: Definition, given: Mapping[str, Given]) -> list[int]:
    """The indexes of the pages that ask at least one question, in order."""
    return [i for i in range(len(definition.pages)) if asked_on(definition, i, given)]


def next_page(definition: Definition, index: int, given: Mapping[str, Given]) -> int | None:
    """The page after ``index`` that asks something; None when ``index`` was the last."""
    return next((i for i in shown_pages(definition, given) if i > index), None)


def previous_page(definition: Definition, index: int, given: Mapping[str, Given]) -> int | None:
    return next((i for i in reversed(shown_pages(definition, given)) if i < index), None)


def missing(definition: Definition, given: Mapping[str, Given]) -> list[tuple[int, Question]]:
    """The required questions that are asked and not answered, with their page's index."""
    answered = counted(definition, given)
    return [
        (i, q)
        for i in shown_pages(definition, given)
        for q in asked_on(definition, i, given)
        if q.required and q.key not in answered
    ]


def furthest_page(definition: Definition, given: Mapping[str, Given]) -> int:
    """The last page a respondent may go to: the first asking a required question not
    answered (no page after it may be skipped to), else the last page."""
    lacking = missing(definition, given)
    return lacking[0][0] if lacking else shown_pages(definition, given)[-1]


def resume_page(definition: Definition, given: Mapping[str, Given]) -> int:
    """Where a respondent coming back goes on: the first page asking a required question not
    answered, or with nothing answered on it; else the last page."""
    answered = counted(definition, given)
    pages = shown_pages(definition, given)
    for i in pages:
        asked = asked_on(definition, i, given)
        if any(q.required and q.key not in answered for q in asked) or not any(
            q.key in answered for q in asked
        ):
            return i
    return pages[-1] if pages else 0
