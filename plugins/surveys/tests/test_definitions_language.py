"""The definition language: every mistake refused naming its place, the JSON round trip,
and which questions branching asks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from crmkit_surveys.definitions.language import is_asked, read_definition, to_json
from crmkit_surveys.definitions.settings import DefinitionsSettings

from crmkit import ValidationError

BASE: dict[str, Any] = {
    "languages": ["en", "de"],
    "title": {"en": "How did we do?", "de": "Wie waren wir?"},
    "pages": [
        {
            "questions": [
                {"key": "nps", "kind": "nps", "required": True, "text": {"en": "NPS", "de": "NPS"}},
                {
                    "key": "channel",
                    "kind": "single",
                    "text": {"en": "How?", "de": "Wie?"},
                    "options": [
                        {"key": "phone", "text": {"en": "Phone", "de": "Telefon"}},
                        {"key": "mail", "text": {"en": "Email", "de": "E-Mail"}},
                        {"key": "shop", "text": {"en": "Shop", "de": "Laden"}},
                    ],
                },
                {
                    "key": "stars",
                    "kind": "rating",
                    "scale": [1, 7],
                    "text": {"en": "Stars?", "de": "Sterne?"},
                },
            ]
        },
        {
            "questions": [
                {
                    "key": "why",
                    "kind": "text",
                    "text": {"en": "Why?", "de": "Warum?"},
                    "show_if": {"question": "nps", "max": 8},
                }
            ]
        },
    ],
}


def q(page: int, index: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: d["pages"][page]["questions"][index]


def case(change: Callable[[dict[str, Any]], None], field: str) -> Any:
    return pytest.param(change, field, id=field)


def setitem(
    get: Callable[[dict[str, Any]], Any], key: Any, value: Any
) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        get(d)[key] = value

    return change


def delitem(get: Callable[[dict[str, Any]], Any], key: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        del get(d)[key]

    return change


def root(d: dict[str, Any]) -> dict[str, Any]:
    return d


def options(d: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = d["pages"][0]["questions"][1]["options"]
    return result


def why(d: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = d["pages"][1]["questions"][0]
    return result


def show_if(d: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = why(d)["show_if"]
    return result


BAD = [
    case(setitem(root, "colour", "red"), "colour"),
    case(delitem(root, "languages"), "languages"),
    case(setitem(root, "languages", []), "languages"),
    case(setitem(root, "languages", ["en", "english"]), "languages[1]"),
    case(setitem(root, "languages", ["en", "en"]), "languages[1]"),
    case(setitem(root, "languages", ["en", "de", "pt_BR"]), "languages[2]"),
    case(setitem(lambda d: d["title"], "de", " "), "title.de"),
    case(delitem(lambda d: d["title"], "en"), "title.en"),
    case(setitem(lambda d: d["title"], "fr", "Comment?"), "title.fr"),
    case(setitem(root, "intro", {"en": "Hi"}), "intro.de"),
    case(setitem(root, "thanks", {"en": "Thanks", "de": 3}), "thanks.de"),
    case(setitem(root, "pages", []), "pages"),
    case(setitem(root, "pages", {"questions": []}), "pages"),
    case(setitem(lambda d: d["pages"][1], "questions", []), "pages[1].questions"),
    case(setitem(lambda d: d["pages"][1], "title", "Two"), "pages[1].title"),
    case(setitem(q(0, 0), "kind", "stars"), "pages[0].questions[0].kind"),
    case(setitem(q(0, 0), "key", "NPS"), "pages[0].questions[0].key"),
    case(setitem(q(0, 0), "key", "1st"), "pages[0].questions[0].key"),
    case(setitem(q(0, 0), "key", "a" * 61), "pages[0].questions[0].key"),
    case(setitem(q(1, 0), "key", "nps"), "pages[1].questions[0].key"),
    case(setitem(q(0, 2), "key", "channel"), "pages[0].questions[2].key"),
    case(setitem(q(0, 0), "required", "yes"), "pages[0].questions[0].required"),
    case(setitem(q(0, 0), "hint", "x"), "pages[0].questions[0].hint"),
    case(delitem(lambda d: q(0, 0)(d)["text"], "de"), "pages[0].questions[0].text.de"),
    case(setitem(q(0, 0), "scale", [0, 10]), "pages[0].questions[0].scale"),
    case(setitem(q(0, 0), "options", []), "pages[0].questions[0].options"),
    case(setitem(q(0, 0), "other", True), "pages[0].questions[0].other"),
    case(setitem(q(0, 2), "scale", [5, 5]), "pages[0].questions[2].scale"),
    case(setitem(q(0, 2), "scale", [7, 1]), "pages[0].questions[2].scale"),
    case(setitem(q(0, 2), "scale", [0, 11]), "pages[0].questions[2].scale[1]"),
    case(setitem(q(0, 2), "scale", [-1, 5]), "pages[0].questions[2].scale[0]"),
    case(setitem(q(0, 2), "scale", [1, 2, 3]), "pages[0].questions[2].scale"),
    case(setitem(q(0, 2), "scale", [1.5, 5]), "pages[0].questions[2].scale[0]"),
    case(delitem(q(0, 1), "options"), "pages[0].questions[1].options"),
    case(
        setitem(q(0, 1), "options", [{"key": "a", "text": {"en": "A", "de": "A"}}]),
        "pages[0].questions[1].options",
    ),
    case(
        setitem(options, 2, {"key": "phone", "text": {"en": "Fax", "de": "Fax"}}),
        "pages[0].questions[1].options[2].key",
    ),
    case(
        setitem(options, 2, {"key": "fax", "text": {"en": "phone", "de": "Fax"}}),
        "pages[0].questions[1].options[2].text.en",
    ),
    case(
        setitem(options, 2, {"key": "Fax", "text": {"en": "Fax", "de": "Fax"}}),
        "pages[0].questions[1].options[2].key",
    ),
    case(
        setitem(options, 2, {"key": "fax", "text": {"en": "Fax"}}),
        "pages[0].questions[1].options[2].text.de",
    ),
    case(
        setitem(options, 2, {"key": "fax", "text": {"en": "Fax", "de": "Fax"}, "score": 1}),
        "pages[0].questions[1].options[2].score",
    ),
    case(setitem(options, 2, "fax"), "pages[0].questions[1].options[2]"),
    case(setitem(q(0, 1), "other", "yes"), "pages[0].questions[1].other"),
    case(
        setitem(why, "show_if", {"question": "missing", "max": 3}),
        "pages[1].questions[0].show_if.question",
    ),
    case(
        setitem(why, "show_if", {"question": "why", "max": 3}),
        "pages[1].questions[0].show_if.question",
    ),
    case(
        setitem(q(0, 1), "show_if", {"question": "nps", "max": 3}),
        "pages[0].questions[1].show_if.question",
    ),
    case(setitem(show_if, "max", 11), "pages[1].questions[0].show_if.max"),
    case(setitem(show_if, "min", 9), "pages[1].questions[0].show_if.max"),
    case(setitem(show_if, "in", [1]), "pages[1].questions[0].show_if"),
    case(delitem(show_if, "max"), "pages[1].questions[0].show_if"),
    case(setitem(show_if, "equals", 3), "pages[1].questions[0].show_if.equals"),
    case(
        setitem(why, "show_if", {"question": "channel", "in": ["fax"]}),
        "pages[1].questions[0].show_if.in[0]",
    ),
    case(
        setitem(why, "show_if", {"question": "channel", "in": ["mail", "mail"]}),
        "pages[1].questions[0].show_if.in[1]",
    ),
    case(
        setitem(why, "show_if", {"question": "channel", "in": []}),
        "pages[1].questions[0].show_if.in",
    ),
    case(
        setitem(why, "show_if", {"question": "channel", "min": 2}),
        "pages[1].questions[0].show_if.question",
    ),
    case(
        setitem(why, "show_if", {"question": "stars", "in": [0]}),
        "pages[1].questions[0].show_if.in[0]",
    ),
    case(
        setitem(why, "show_if", {"question": "stars", "in": [True]}),
        "pages[1].questions[0].show_if.in[0]",
    ),
    case(setitem(why, "show_if", "nps < 7"), "pages[1].questions[0].show_if"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_a_bad_definition_is_refused_naming_its_place(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(ValidationError) as refused:
        read_definition(data)
    assert refused.value.field == field


def test_a_branch_on_a_text_answer_is_refused() -> None:
    data = copy.deepcopy(BASE)
    data["pages"].append(
        {
            "questions": [
                {
                    "key": "more",
                    "kind": "text",
                    "text": {"en": "More?", "de": "Mehr?"},
                    "show_if": {"question": "why", "in": ["x"]},
                }
            ]
        }
    )
    with pytest.raises(ValidationError) as refused:
        read_definition(data)
    assert refused.value.field == "pages[2].questions[0].show_if.question"


@pytest.mark.parametrize(
    ("limits", "change", "field"),
    [
        (DefinitionsSettings(max_pages=1), lambda d: None, "pages"),
        (DefinitionsSettings(max_questions=3), lambda d: None, "pages[1].questions[0]"),
        (DefinitionsSettings(max_questions=1), lambda d: None, "pages[0].questions"),
        (DefinitionsSettings(max_languages=1), lambda d: None, "languages"),
        (DefinitionsSettings(max_options=2), lambda d: None, "pages[0].questions[1].options"),
        (
            DefinitionsSettings(max_text_length=20),
            lambda d: d["title"].update(en="x" * 21),
            "title.en",
        ),
    ],
)
def test_limits_are_held(
    limits: DefinitionsSettings, change: Callable[[dict[str, Any]], None], field: str
) -> None:
    data = copy.deepcopy(BASE)
    change(data)
    read_definition(data)
    with pytest.raises(ValidationError) as refused:
        read_definition(data, limits)
    assert refused.value.field == field


def test_text_a_database_cannot_store_is_refused() -> None:
    data = copy.deepcopy(BASE)
    data["title"]["de"] = "Wie\x00"
    with pytest.raises(ValidationError) as refused:
        read_definition(data)
    assert refused.value.field == "title.de"


def test_a_definition_reads_into_its_model_and_back() -> None:
    data = copy.deepcopy(BASE)
    data["languages"] = ["en", "de", "pt-BR"]
    for texts in _texts(data):
        texts["pt-BR"] = texts["en"] + " (pt)"
    data["intro"] = {"en": "Hi", "de": "Hallo", "pt-BR": "Olá"}
    q(0, 1)(data)["other"] = True
    why(data)["show_if"] = {"question": "channel", "in": ["phone", "shop"]}
    definition = read_definition(data)
    assert definition.languages == ("en", "de", "pt-BR")
    nps, channel, stars = definition.pages[0].questions
    assert (nps.scale, nps.required, stars.scale, channel.scale) == ((0, 10), True, (1, 7), None)
    assert [o.key for o in channel.options] == ["phone", "mail", "shop"] and channel.other
    assert definition.pages[1].questions[0].show_if is not None
    assert definition.pages[1].questions[0].show_if.values == ("phone", "shop")
    assert read_definition(to_json(definition)) == definition
    assert to_json(read_definition(to_json(definition))) == to_json(definition)


def _texts(data: dict[str, Any]) -> list[dict[str, str]]:
    found = [data["title"]]
    for page in data["pages"]:
        for question in page["questions"]:
            found.append(question["text"])
            found.extend(o["text"] for o in question.get("options", ()))
    return found


def test_csat_has_its_fixed_scale_and_a_rating_defaults_to_one_to_five() -> None:
    data = copy.deepcopy(BASE)
    q(0, 0)(data)["kind"] = "csat"
    del q(0, 2)(data)["scale"]
    why(data)["show_if"] = {"question": "nps", "min": 1, "max": 2}
    definition = read_definition(data)
    assert definition.pages[0].questions[0].scale == (1, 5)
    assert definition.pages[0].questions[2].scale == (1, 5)
    data["pages"][1]["questions"][0]["show_if"] = {"question": "nps", "max": 6}
    with pytest.raises(ValidationError) as refused:
        read_definition(data)
    assert refused.value.field == "pages[1].questions[0].show_if.max"


@pytest.mark.parametrize(
    ("condition", "answers", "asked"),
    [
        ({"question": "nps", "max": 6}, {"nps": 6}, True),
        ({"question": "nps", "max": 6}, {"nps": 7}, False),
        ({"question": "nps", "min": 9}, {"nps": 9}, True),
        ({"question": "nps", "min": 7, "max": 8}, {"nps": 9}, False),
        ({"question": "nps", "in": [0, 10]}, {"nps": 10}, True),
        ({"question": "nps", "in": [0, 10]}, {"nps": 5}, False),
        ({"question": "nps", "max": 6}, {}, False),
        ({"question": "channel", "in": ["mail"]}, {"channel": ["mail"]}, True),
        ({"question": "channel", "in": ["mail"]}, {"channel": "mail"}, True),
        ({"question": "channel", "in": ["mail", "shop"]}, {"channel": ["phone"]}, False),
        ({"question": "channel", "in": ["mail"]}, {"nps": 3}, False),
    ],
)
def test_branching_asks_a_question_only_when_the_earlier_answer_meets_it(
    condition: dict[str, Any], answers: dict[str, Any], asked: bool
) -> None:
    data = copy.deepcopy(BASE)
    why(data)["show_if"] = condition
    question = read_definition(data).pages[1].questions[0]
    assert is_asked(question, answers) is asked


def test_a_question_without_a_condition_is_always_asked() -> None:
    definition = read_definition(copy.deepcopy(BASE))
    assert all(is_asked(x, {}) for x in definition.pages[0].questions)


def test_a_branch_on_a_question_that_was_not_asked_is_not_asked_either() -> None:
    data = copy.deepcopy(BASE)
    data["pages"].append(
        {
            "questions": [
                {
                    "key": "callback",
                    "kind": "single",
                    "text": {"en": "Call you?", "de": "Anrufen?"},
                    "options": [
                        {"key": "yes", "text": {"en": "Yes", "de": "Ja"}},
                        {"key": "no", "text": {"en": "No", "de": "Nein"}},
                    ],
                    "show_if": {"question": "nps", "max": 6},
                }
            ]
        }
    )
    data["pages"].append(
        {
            "questions": [
                {
                    "key": "phone",
                    "kind": "text",
                    "text": {"en": "Number?", "de": "Nummer?"},
                    "show_if": {"question": "callback", "in": ["yes"]},
                }
            ]
        }
    )
    definition = read_definition(data)
    callback, phone = definition.pages[2].questions[0], definition.pages[3].questions[0]
    promoter = {"nps": 10}
    assert not is_asked(callback, promoter) and not is_asked(phone, promoter)
    detractor = {"nps": 2, "callback": ["yes"]}
    assert is_asked(callback, detractor) and is_asked(phone, detractor)
