"""Reading a definition's JSON, and what branching asks of a respondent.

Owned by the definitions part; the answering and results parts call these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crmkit import ValidationError, check_fields, check_storable_text
from crmkit_surveys.definitions.model import (
    KINDS,
    SCALES,
    Condition,
    Definition,
    Option,
    Page,
    Question,
)
from crmkit_surveys.definitions.settings import DefinitionsSettings

KEY = re.compile(r"[a-z][a-z0-9_]{0,59}")
"""A question's or an option's key: a lower-case identifier that fits ``surveys_answer.question``."""
LANGUAGE = re.compile(r"[a-z]{2,3}(-(?:[A-Z]{2}|[A-Z][a-z]{3}|[0-9]{3}))?")
"""A language tag as BCP 47 writes the common ones: ``en``, ``de``, ``pt-BR``, ``zh-Hant``, ``es-419``."""
RATING_RANGE = (0, 10)
DEFAULT_RATING = (1, 5)
CHOICES = ("single", "multiple")
DEFINITION_FIELDS = ("languages", "title", "intro", "thanks", "pages")
QUESTION_FIELDS = ("key", "kind", "text", "required", "scale", "options", "other", "show_if")
CONDITION_FIELDS = ("question", "in", "min", "max")
DEFAULTS = DefinitionsSettings()


def _object(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(where, "expected an object")
    return value


def _list(where: str, value: Any, *, at_least: int, at_most: int, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError(where, "expected a list")
    if len(value) < at_least:
        raise ValidationError(where, f"needs at least {at_least} {what}")
    if len(value) > at_most:
        raise ValidationError(where, f"at most {at_most} {what}")
    return value


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(where, "expected true or false")
    return value


def _score(where: str, value: Any, scale: tuple[int, int]) -> int:
    low, high = scale
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(where, f"expected a whole number from {low} to {high}")
    return value


def _key(where: str, value: Any) -> str:
    if not isinstance(value, str) or KEY.fullmatch(value) is None:
        raise ValidationError(
            where, "expected a lower-case identifier (a-z, 0-9, _; starting with a letter)"
        )
    return value


def _languages(value: Any, limits: DefinitionsSettings) -> tuple[str, ...]:
    items = _list("languages", value, at_least=1, at_most=limits.max_languages, what="languages")
    seen: list[str] = []
    for i, item in enumerate(items):
        where = f"languages[{i}]"
        if not isinstance(item, str) or LANGUAGE.fullmatch(item) is None:
            raise ValidationError(where, "expected a language tag such as en, de or pt-BR")
        if item in seen:
            raise ValidationError(where, f"{item} is given twice")
        seen.append(item)
    return tuple(seen)


def _texts(
    where: str, value: Any, languages: tuple[str, ...], limits: DefinitionsSettings
) -> dict[str, str]:
    """One text per declared language, no more, none blank."""
    found = _object(where, value)
    for language in found:
        if language not in languages:
            raise ValidationError(f"{where}.{language}", "is not one of the survey's languages")
    texts: dict[str, str] = {}
    for language in languages:
        text = found.get(language)
        here = f"{where}.{language}"
        if text is None or (isinstance(text, str) and not text.strip()):
            raise ValidationError(here, "is missing: every text is needed in every language")
        if not isinstance(text, str):
            raise ValidationError(here, "expected text")
        check_storable_text(here, text)
        if len(text.strip()) > limits.max_text_length:
            raise ValidationError(here, f"at most {limits.max_text_length} characters")
        texts[language] = text.strip()
    return texts


def _scale(where: str, kind: str, value: Any) -> tuple[int, int] | None:
    if kind in SCALES:
        if value is not None:
            raise ValidationError(where, f"{kind} has a fixed scale")
        return SCALES[kind]
    if kind != "rating":
        if value is not None:
            raise ValidationError(where, "only a rating has a scale")
        return None
    if value is None:
        return DEFAULT_RATING
    if not isinstance(value, list) or len(value) != 2:
        raise ValidationError(where, "expected [lowest, highest]")
    low = _score(f"{where}[0]", value[0], RATING_RANGE)
    high = _score(f"{where}[1]", value[1], RATING_RANGE)
    if low >= high:
        raise ValidationError(where, "the lowest must be below the highest")
    return (low, high)


def _options(
    where: str,
    kind: str,
    value: Any,
    languages: tuple[str, ...],
    limits: DefinitionsSettings,
) -> tuple[Option, ...]:
    if kind not in CHOICES:
        if value is not None:
            raise ValidationError(where, "only a single or multiple choice has options")
        return ()
    items = _list(where, value, at_least=2, at_most=limits.max_options, what="options")
    options: list[Option] = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        found = _object(here, item)
        check_fields(found, ("key", "text"), f"{here}.")
        key = _key(f"{here}.key", found.get("key"))
        if any(o.key == key for o in options):
            raise ValidationError(f"{here}.key", f"{key} is given twice")
        text = _texts(f"{here}.text", found.get("text"), languages, limits)
        for language, label in text.items():
            if any(o.text[language].casefold() == label.casefold() for o in options):
                raise ValidationError(f"{here}.text.{language}", f"{label!r} is given twice")
        options.append(Option(key=key, text=text))
    return tuple(options)


def _condition(where: str, value: Any, earlier: Mapping[str, Question]) -> Condition:
    found = _object(where, value)
    check_fields(found, CONDITION_FIELDS, f"{where}.")
    name = found.get("question")
    if not isinstance(name, str) or name not in earlier:
        raise ValidationError(
            f"{where}.question", "expected the key of a question on an earlier page"
        )
    asked = earlier[name]
    has_range = "min" in found or "max" in found
    if "in" in found and has_range:
        raise ValidationError(where, "either in or min/max, not both")
    if "in" in found:
        if asked.kind == "text":
            raise ValidationError(f"{where}.question", "a text answer cannot be branched on")
        limit = len(asked.options) if asked.options else 11
        items = _list(f"{where}.in", found["in"], at_least=1, at_most=limit, what="values")
        values: list[Any] = []
        for i, item in enumerate(items):
            here = f"{where}.in[{i}]"
            if asked.scale is not None:
                item = _score(here, item, asked.scale)
            elif not isinstance(item, str) or item not in {o.key for o in asked.options}:
                raise ValidationError(here, f"expected an option key of {name}")
            if item in values:
                raise ValidationError(here, "is given twice")
            values.append(item)
        return Condition(question=name, values=tuple(values))
    if not has_range:
        raise ValidationError(where, "needs in, or min and/or max")
    if asked.scale is None:
        raise ValidationError(f"{where}.question", "min and max need a scored question")
    minimum = (
        None if found.get("min") is None else _score(f"{where}.min", found["min"], asked.scale)
    )
    maximum = (
        None if found.get("max") is None else _score(f"{where}.max", found["max"], asked.scale)
    )
    if minimum is None and maximum is None:
        raise ValidationError(where, "needs in, or min and/or max")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ValidationError(f"{where}.max", "is below min")
    return Condition(question=name, minimum=minimum, maximum=maximum)


def _question(
    where: str,
    value: Any,
    languages: tuple[str, ...],
    earlier: Mapping[str, Question],
    limits: DefinitionsSettings,
) -> Question:
    found = _object(where, value)
    check_fields(found, QUESTION_FIELDS, f"{where}.")
    key = _key(f"{where}.key", found.get("key"))
    kind = found.get("kind")
    if kind not in KINDS:
        raise ValidationError(f"{where}.kind", f"expected one of {', '.join(KINDS)}")
    text = _texts(f"{where}.text", found.get("text"), languages, limits)
    other = _bool(f"{where}.other", found.get("other", False))
    if other and kind not in CHOICES:
        raise ValidationError(f"{where}.other", "only a single or multiple choice has other")
    show_if = found.get("show_if")
    return Question(
        key=key,
        kind=kind,
        text=text,
        required=_bool(f"{where}.required", found.get("required", False)),
        scale=_scale(f"{where}.scale", kind, found.get("scale")),
        options=_options(f"{where}.options", kind, found.get("options"), languages, limits),
        other=other,
        show_if=None if show_if is None else _condition(f"{where}.show_if", show_if, earlier),
    )


def read_definition(data: Any, limits: DefinitionsSettings = DEFAULTS) -> Definition:
    """The definition ``data`` (the JSON of docs/definitions.md) stands for.

    ValidationError naming the place (``pages[1].questions[0].options``) of the first thing
    wrong: unknown kind or key, duplicate question key, a text missing in one of the
    languages, ``show_if`` naming a question not on an earlier page, limits exceeded
    (``limits``: the settings' when saving, the defaults otherwise).
    """
    found = _object("definition", data)
    check_fields(found, DEFINITION_FIELDS)
    languages = _languages(found.get("languages"), limits)
    title = _texts("title", found.get("title"), languages, limits)
    intro = {} if found.get("intro") is None else _texts("intro", found["intro"], languages, limits)
    thanks = (
        {} if found.get("thanks") is None else _texts("thanks", found["thanks"], languages, limits)
    )
    raw_pages = _list(
        "pages", found.get("pages"), at_least=1, at_most=limits.max_pages, what="pages"
    )
    earlier: dict[str, Question] = {}
    pages: list[Page] = []
    count = 0
    for p, raw in enumerate(raw_pages):
        where = f"pages[{p}]"
        page = _object(where, raw)
        check_fields(page, ("questions",), f"{where}.")
        items = _list(
            f"{where}.questions",
            page.get("questions"),
            at_least=1,
            at_most=limits.max_questions,
            what="questions",
        )
        questions: list[Question] = []
        for q, item in enumerate(items):
            here = f"{where}.questions[{q}]"
            count += 1
            if count > limits.max_questions:
                raise ValidationError(
                    here, f"a survey has at most {limits.max_questions} questions"
                )
            question = _question(here, item, languages, earlier, limits)
            if question.key in earlier or any(x.key == question.key for x in questions):
                raise ValidationError(f"{here}.key", f"{question.key} is given twice")
            questions.append(question)
        # Only now: a question may branch on earlier pages' answers, never on its own page's.
        earlier.update({x.key: x for x in questions})
        pages.append(Page(questions=tuple(questions)))
    return Definition(
        languages=languages, title=title, pages=tuple(pages), intro=intro, thanks=thanks
    )


def _condition_json(condition: Condition) -> dict[str, Any]:
    found: dict[str, Any] = {"question": condition.question}
    if condition.values is not None:
        found["in"] = list(condition.values)
    if condition.minimum is not None:
        found["min"] = condition.minimum
    if condition.maximum is not None:
        found["max"] = condition.maximum
    return found


def _question_json(question: Question) -> dict[str, Any]:
    found: dict[str, Any] = {
        "key": question.key,
        "kind": question.kind,
        "text": dict(question.text),
        "required": question.required,
    }
    if question.kind == "rating" and question.scale is not None:
        found["scale"] = list(question.scale)
    if question.options:
        found["options"] = [{"key": o.key, "text": dict(o.text)} for o in question.options]
    if question.other:
        found["other"] = True
    if question.show_if is not None:
        found["show_if"] = _condition_json(question.show_if)
    return found


def to_json(definition: Definition) -> dict[str, Any]:
    """The JSON form of ``definition``: ``read_definition(to_json(d)) == d``."""
    found: dict[str, Any] = {
        "languages": list(definition.languages),
        "title": dict(definition.title),
    }
    if definition.intro:
        found["intro"] = dict(definition.intro)
    if definition.thanks:
        found["thanks"] = dict(definition.thanks)
    found["pages"] = [
        {"questions": [_question_json(q) for q in page.questions]} for page in definition.pages
    ]
    return found


def is_asked(question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether ``question`` is asked given the ``answers`` so far (question key to the value
    :func:`crmkit_surveys.answering` stores: an int score, a list of option keys, a text).

    A question whose ``show_if`` names an unanswered question (skipped, or itself not asked)
    is not asked.
    """
    condition = question.show_if
    if condition is None:
        return True
    answer = answers.get(condition.question)
    if answer is None:
        return False
    if condition.values is not None:
        chosen = answer if isinstance(answer, list | tuple) else [answer]
        return any(value in condition.values for value in chosen)
    if isinstance(answer, bool) or not isinstance(answer, int):
        return False
    if condition.minimum is not None and answer < condition.minimum:
        return False
    return condition.maximum is None or answer <= condition.maximum
