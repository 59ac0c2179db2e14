"""The answer pages: a recipient answers through their link, page by page, in a browser."""

from __future__ import annotations

from typing import Any

from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.invitations.tables import invitation
from sqlalchemy import select

from crmkit import Crm
from crmkit.testing import http_client


def both(en: str, de: str) -> dict[str, str]:
    return {"en": en, "de": de}


def questionnaire() -> dict[str, Any]:
    """Three pages of every kind: NPS and a reason asked of detractors only, CSAT, a rating,
    a single and a multiple choice with "other", free text."""
    return {
        "languages": ["en", "de"],
        "title": both("Service follow-up", "Service-Nachfrage"),
        "intro": both("Two minutes, three pages.", "Zwei Minuten, drei Seiten."),
        "thanks": both("Thanks a lot!", "Vielen Dank!"),
        "pages": [
            {
                "questions": [
                    {
                        "key": "nps",
                        "kind": "nps",
                        "required": True,
                        "text": both("Would you recommend us?", "Würden Sie uns empfehlen?"),
                    },
                    {
                        "key": "csat",
                        "kind": "csat",
                        "text": both("How satisfied are you?", "Wie zufrieden sind Sie?"),
                    },
                ]
            },
            {
                "questions": [
                    {
                        "key": "why",
                        "kind": "text",
                        "required": True,
                        "text": both("What went wrong?", "Was lief schief?"),
                        "show_if": {"question": "nps", "max": 6},
                    },
                    {
                        "key": "topics",
                        "kind": "multiple",
                        "other": True,
                        "text": both("What mattered?", "Was war wichtig?"),
                        "options": [
                            {"key": "price", "text": both("Price", "Preis")},
                            {"key": "speed", "text": both("Speed", "Tempo")},
                        ],
                    },
                ]
            },
            {
                "questions": [
                    {
                        "key": "ease",
                        "kind": "rating",
                        "scale": [1, 7],
                        "text": both("How easy was it?", "Wie einfach war es?"),
                    },
                    {
                        "key": "channel",
                        "kind": "single",
                        "required": True,
                        "other": True,
                        "text": both("How did you reach us?", "Wie erreichten Sie uns?"),
                        "options": [
                            {"key": "phone", "text": both("Phone", "Telefon")},
                            {"key": "email", "text": both("Email", "E-Mail")},
                        ],
                    },
                    {"key": "more", "kind": "text", "text": both("Anything else?", "Sonst noch?")},
                ]
            },
        ],
    }


def stored(crm: Crm, invitation_id: int) -> tuple[Any, dict[str, Any], Any]:
    """The invitation's row, its response's answers by question, and the response's row."""
    with crm.read() as conn:
        invited = conn.execute(select(invitation).where(invitation.c.id == invitation_id)).one()
        found = conn.execute(
            select(response).where(response.c.invitation_id == invitation_id)
        ).first()
        answers = {}
        if found is not None:
            rows = conn.execute(select(answer).where(answer.c.response_id == found.id))
            answers = {row.question: row for row in rows}
    return invited, answers, found


def test_a_detractor_answers_every_page_and_completes(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, new_party: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    party = new_party()
    token, invitation_id = invite(crm, survey_id, party)
    browser = respondent(token)

    first = browser.open()
    assert first.status == 200
    assert "Would you recommend us?" in first.text and "Two minutes" in first.text
    assert [i["value"] for i in first.inputs if i["name"] == "q.nps"] == [str(n) for n in range(11)]
    opened = stored(crm, invitation_id)[0]
    assert opened.status == "opened" and opened.opened_at is not None

    second = browser.send(first, {"q.nps": "3", "q.csat": "2"})
    assert second.status == 200
    assert "What went wrong?" in second.text
    third = browser.send(second, {"q.why": "The parcel arrived broken.", "q.topics.speed": True})
    assert "How easy was it?" in third.text
    invited, answers, found = stored(crm, invitation_id)
    assert (invited.status, found.status) == ("answering", "partial")
    assert answers["nps"].score == 3 and answers["topics"].choices == ["speed"]

    done = browser.send(
        third,
        {"q.ease": "2", "q.channel": "_other", "q.channel._text": "In the shop", "q.more": ""},
        button="Send my answers",
    )
    assert done.status == 200 and "Thanks a lot!" in done.text
    invited, answers, found = stored(crm, invitation_id)
    assert (invited.status, found.status) == ("completed", "completed")
    assert invited.completed_at is not None and found.completed_at is not None
    assert answers["channel"].choices == [] and answers["channel"].text == "In the shop"
    assert set(answers) == {"nps", "csat", "why", "topics", "ease", "channel"}


def test_a_promoter_is_not_asked_what_went_wrong(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, new_party: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id, new_party())
    browser = respondent(token)
    second = browser.send(browser.open(), {"q.nps": "10"})
    assert "What mattered?" in second.text and "What went wrong?" not in second.text
    assert "Page 2 of 3" in second.text
    third = browser.send(second, {"q.topics.price": True})
    done = browser.send(third, {"q.channel": "phone"}, button="Send my answers")
    assert done.status == 200
    assert set(stored(crm, invitation_id)[1]) == {"nps", "topics", "channel"}


def test_back_keeps_the_answers_and_a_changed_score_drops_the_reason_on_completion(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, new_party: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id, new_party())
    browser = respondent(token)
    second = browser.send(browser.open(), {"q.nps": "2"})
    third = browser.send(second, {"q.why": "Nobody called back."})
    assert "How easy was it?" in third.text

    again = browser.send(third, {"q.ease": "6"}, button="Back")
    assert again.value_of("q.why") == "Nobody called back."
    first = browser.send(again, button="Back")
    assert first.value_of("q.nps") == "2"
    # The customer thinks again: a promoter now, so the reason is no longer asked.
    second = browser.send(first, {"q.nps": "9"})
    assert "What went wrong?" not in second.text
    third = browser.send(second)
    assert third.value_of("q.ease") == "6"
    assert "why" in stored(crm, invitation_id)[1]
    browser.send(third, {"q.channel": "email"}, button="Send my answers")
    _, answers, found = stored(crm, invitation_id)
    assert found.status == "completed"
    assert set(answers) == {"nps", "ease", "channel"}
    assert answers["nps"].score == 9


def test_partial_answers_are_kept_and_the_link_resumes_where_it_was_left(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, new_party: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id, new_party())
    browser = respondent(token)
    browser.send(browser.open(), {"q.nps": "5", "q.csat": "3"})
    invited, answers, found = stored(crm, invitation_id)
    assert (invited.status, found.status) == ("answering", "partial")
    assert {k: a.score for k, a in answers.items()} == {"nps": 5, "csat": 3}

    # Days later, from the same link (in another browser): page 2, the answers still there.
    later = respondent(token).open()
    assert later.status == 200 and "What went wrong?" in later.text
    first = respondent(token).open(page="1")
    assert (first.value_of("q.nps"), first.value_of("q.csat")) == ("5", "3")
    # Pages not reached cannot be skipped to: the link resumes where it was left.
    skipped = respondent(token).open(page="3")
    assert "What went wrong?" in skipped.text


def test_the_page_is_in_the_invitations_language_and_may_switch_to_another(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, new_party: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id, new_party(), language="de")
    browser = respondent(token)
    german = browser.open()
    assert '<html lang="de">' in german.text
    assert "Würden Sie uns empfehlen?" in german.text and "Weiter" in german.text
    english = browser.open(lang="en")
    assert "Would you recommend us?" in english.text
    assert "Würden Sie uns empfehlen?" in browser.open(lang="xx").text
    second = browser.send(english, {"q.nps": "8"})
    assert "What mattered?" in second.text
    assert stored(crm, invitation_id)[2].language == "en"


def test_refused_answers_are_shown_again_beside_their_questions_and_nothing_is_saved(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, new_party: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id, new_party())
    browser = respondent(token)
    first = browser.open()

    refused = browser.send(first, {"q.csat": "4"})
    assert refused.status == 422
    assert 'id="e-nps"' in refused.text and "Please answer this question." in refused.text
    assert refused.value_of("q.csat") == "4"
    assert stored(crm, invitation_id)[2] is None

    # What a browser cannot send but a crafted post can: a score off the scale, a field
    # the page does not ask.
    off_scale = browser.client.post(browser.address, data={**first.body({}, "Next"), "q.nps": "11"})
    assert off_scale.status_code == 422 and "from 0 to 10" in off_scale.text
    unknown = browser.client.post(
        browser.address, data={**first.body({"q.nps": "7"}, "Next"), "q.why": "sneaked in"}
    )
    assert unknown.status_code == 422 and "does not ask" in unknown.text
    assert stored(crm, invitation_id)[2] is None

    second = browser.send(first, {"q.nps": "4"})
    wrong_option = browser.client.post(
        browser.address,
        data={**second.body({"q.why": "Late"}, "Next"), "q.topics.colour": "on"},
    )
    assert wrong_option.status_code == 422
    other_blank = browser.send(second, {"q.why": "Late", "q.topics._other": True})
    assert other_blank.status == 422
    assert other_blank.value_of("q.why") == "Late" and other_blank.value_of("q.topics._other")
    assert set(stored(crm, invitation_id)[1]) == {"nps"}


def test_a_text_longer_than_the_setting_is_refused(
    make_surveys: Any, publish_survey: Any, invite: Any, respondent_with: Any
) -> None:
    crm = make_surveys(surveys={"answering": {"text_limit": 20}})
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id)
    with http_client(crm) as client:
        browser = respondent_with(client, token)
        second = browser.send(browser.open(), {"q.nps": "1"})
        refused = browser.send(second, {"q.why": "x" * 21})
        assert refused.status == 422 and "20 characters" in refused.text
        assert browser.send(second, {"q.why": "x" * 20}).status == 200
    assert stored(crm, invitation_id)[1]["why"].text == "x" * 20


def test_a_post_from_another_site_is_refused(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id)
    browser = respondent(token)
    page = browser.open()
    forged = browser.client.post(
        browser.address,
        data=page.body({"q.nps": "0"}, "Next"),
        headers={"origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    assert stored(crm, invitation_id)[2] is None


def test_the_pages_work_without_script_and_on_a_phone(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, _ = invite(crm, survey_id)
    page = respondent(token).open()
    assert "<script" not in page.text
    assert 'name="viewport"' in page.text
    assert page.response.headers["cache-control"] == "no-store"
    assert page.response.headers["referrer-policy"] == "no-referrer"
    # Each group of choices is a fieldset named by its legend; each choice has its label.
    assert page.text.count("<fieldset") == page.text.count("<legend>") == 2
    assert '<label for="q-nps-7"><input type="radio" id="q-nps-7"' in page.text


def test_text_no_database_stores_is_refused_beside_its_question(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id)
    browser = respondent(token)
    second = browser.send(browser.open(), {"q.nps": "6"})
    refused = browser.send(second, {"q.why": "bad\x00byte", "q.topics.price": True})
    assert refused.status == 422 and 'id="e-why"' in refused.text
    assert refused.value_of("q.topics.price") is True
    assert set(stored(crm, invitation_id)[1]) == {"nps"}


def test_an_other_text_without_other_chosen_is_ignored_by_either_choice(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id)
    browser = respondent(token)
    second = browser.send(browser.open(), {"q.nps": "3"})
    third = browser.send(
        second, {"q.why": "Late", "q.topics.price": True, "q.topics._text": "stray"}
    )
    assert third.status == 200
    browser.send(
        third,
        {"q.ease": "4", "q.channel": "email", "q.channel._text": "stray"},
        "Send my answers",
    )
    answers = stored(crm, invitation_id)[1]
    assert (answers["topics"].choices, answers["topics"].text) == (["price"], None)
    assert (answers["channel"].choices, answers["channel"].text) == (["email"], None)


def test_a_line_break_counts_as_one_character_and_is_stored_as_one(
    make_surveys: Any, publish_survey: Any, invite: Any, respondent_with: Any
) -> None:
    crm = make_surveys(surveys={"answering": {"text_limit": 20}})
    survey_id = publish_survey(crm, "Service follow-up", questionnaire())
    token, invitation_id = invite(crm, survey_id)
    written = "late\r\nrude\r\nbroken\r\nxx"  # 20 characters as the textarea counts them
    with http_client(crm) as client:
        browser = respondent_with(client, token)
        second = browser.send(browser.open(), {"q.nps": "1"})
        assert browser.send(second, {"q.why": written}).status == 200
    assert stored(crm, invitation_id)[1]["why"].text == "late\nrude\nbroken\nxx"


def test_the_button_says_it_sends_whenever_no_later_page_is_asked_so_far(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, sample_definition: Any
) -> None:
    survey_id = publish_survey(crm, "Feedback", sample_definition)
    token, invitation_id = invite(crm, survey_id)
    browser = respondent(token)
    first = browser.open()
    # The reason is asked of detractors only: with no score yet, nothing follows this page.
    assert [b[2] for b in first.buttons] == ["Send my answers"]
    reason = browser.send(first, {"q.nps": "2"}, "Send my answers")
    assert "What could we do better?" in reason.text
    assert [b[2] for b in reason.buttons] == ["Send my answers", "Back"]
    again = browser.send(reason, {}, "Back")
    assert [b[2] for b in again.buttons] == ["Next"]
    assert stored(crm, invitation_id)[2].status == "partial"
