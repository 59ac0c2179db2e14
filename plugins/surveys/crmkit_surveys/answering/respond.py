"""Answering through an invitation's link: which page to show, saving a page, going back and
on, completing; and the refusals of a link that cannot answer.

A link answers while its invitation is queued, sent, opened or being answered, before it
expires, and while its survey is active. Each change runs in one transaction that holds the
invitation, so that two tabs posting at once take turns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from attrs import frozen
from sqlalchemy import Connection, select, update

from crmkit import Transaction
from crmkit_surveys.answering import flow, store
from crmkit_surveys.answering.completion import complete
from crmkit_surveys.answering.form import read_page
from crmkit_surveys.answering.model import Given
from crmkit_surveys.answering.settings import AnsweringSettings
from crmkit_surveys.answering.words import WORDS, words_for
from crmkit_surveys.definitions.model import Definition, Question, Survey
from crmkit_surveys.definitions.service import get_survey, get_version
from crmkit_surveys.invitations.links import invitation_for_token
from crmkit_surveys.invitations.model import Invitation
from crmkit_surveys.invitations.tables import invitation

ANSWERABLE = ("queued", "sent", "opened", "answering")
UNOPENED = ("queued", "sent")


@frozen
class Refused:
    """Why the link cannot answer: ``unknown`` (404), ``completed`` (409), ``closed``,
    ``expired`` or ``unusable`` (410)."""

    reason: str
    language: str = "en"
    """The language of the refusal page: the ``lang`` asked for, else the response's or the
    invitation's, else English."""

    @property
    def status(self) -> int:
        return {"unknown": 404, "completed": 409}.get(self.reason, 410)


@frozen
class Shown:
    """An answer page: page ``index`` of the invitation's version, the questions it asks,
    the answers saved so far, in ``language``."""

    invitation: Invitation
    survey: Survey
    definition: Definition
    language: str
    index: int
    questions: tuple[Question, ...]
    given: dict[str, Given]

    @property
    def position(self) -> tuple[int, int]:
        """(this page's number, the number of pages asked), counting from 1."""
        pages = flow.shown_pages(self.definition, self.given)
        return pages.index(self.index) + 1, len(pages)

    @property
    def first(self) -> bool:
        return flow.previous_page(self.definition, self.index, self.given) is None

    @property
    def last(self) -> bool:
        """Whether no later page asks anything given the answers so far: its button then
        says it sends the answers (an answer on this page may still open a later page,
        which is then shown before the answers are sent)."""
        return flow.next_page(self.definition, self.index, self.given) is None


@frozen
class Invalid:
    """The page shown again with what was typed and why it was refused; nothing of it saved."""

    shown: Shown
    form: dict[str, str]
    errors: dict[str, str]


@frozen
class Moved:
    """Saved: the respondent goes on to page ``index``."""

    index: int
    language: str


@frozen
class Done:
    """Completed: the thanks page in ``language``."""

    definition: Definition
    language: str


def _refusal(found: Invitation | None, survey: Survey | None, now: datetime) -> Refused | None:
    if found is None or survey is None:
        return Refused("unknown")
    if found.status == "completed":
        return Refused("completed")
    if survey.status != "active":
        return Refused("closed")
    if found.status == "expired" or found.expires_at <= now:
        return Refused("expired")
    if found.status not in ANSWERABLE:
        return Refused("unusable")
    return None


def _language(definition: Definition, wanted: str | None, found: Invitation) -> str:
    for language in (wanted, found.language):
        if language in definition.languages:
            return language
    return definition.languages[0]


def _index(text: str | None, definition: Definition, given: Mapping[str, Given]) -> int | None:
    """The page (0-based) the 1-based ``text`` names, if it is one that asks something and
    the respondent has reached."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 4:
        return None
    index = int(text) - 1
    if index not in flow.shown_pages(definition, given):
        return None
    return index if index <= flow.furthest_page(definition, given) else None


def _refusal_language(conn: Connection, found: Invitation | None, wanted: str | None) -> str:
    if wanted and wanted in WORDS:
        return wanted
    if found is None:
        return "en"
    saved = store.response_of_invitation(conn, found.id)
    return found.language if saved is None else saved.language


def _lookup(
    conn: Connection, token: str, now: datetime, wanted: str | None = None
) -> Refused | tuple[Invitation, Survey]:
    found = invitation_for_token(conn, token)
    survey = None if found is None else get_survey(conn, found.survey_id)
    refused = _refusal(found, survey, now)
    if refused is not None:
        return Refused(refused.reason, _refusal_language(conn, found, wanted))
    assert found is not None and survey is not None
    return found, survey


def _shown(
    conn: Connection,
    found: Invitation,
    survey: Survey,
    page: str | None,
    language: str | None,
) -> Shown:
    definition = get_version(conn, found.version_id).definition
    saved = store.response_of_invitation(conn, found.id)
    given = store.given_of(conn, None if saved is None else saved.id)
    index = _index(page, definition, given)
    if index is None:
        index = flow.resume_page(definition, given)
    return Shown(
        invitation=found,
        survey=survey,
        definition=definition,
        language=_language(definition, language, found),
        index=index,
        questions=flow.asked_on(definition, index, given),
        given=given,
    )


def page_of(
    conn: Connection, token: str, page: str | None, language: str | None, now: datetime
) -> Refused | Shown:
    """The page to show for the link ``token``: ``page`` (1-based) when it asks something,
    else where the respondent left off; in ``language`` when the survey has it."""
    looked_up = _lookup(conn, token, now, language)
    if isinstance(looked_up, Refused):
        return looked_up
    return _shown(conn, *looked_up, page, language)


def mark_opened(tx: Transaction, invitation_id: int, now: datetime) -> None:
    """The invitation's answer page was shown: opened, unless it went further already."""
    tx.conn.execute(
        update(invitation)
        .where(invitation.c.id == invitation_id, invitation.c.status.in_(UNOPENED))
        .values(status="opened", opened_at=now)
    )


def _held(
    tx: Transaction, token: str, now: datetime, wanted: str | None
) -> Refused | tuple[Invitation, Survey]:
    looked_up = _lookup(tx.conn, token, now, wanted)
    if isinstance(looked_up, Refused):
        return looked_up
    tx.hold(f"surveys.invitation.{looked_up[0].id}")
    # Read again once held: another request may have answered meanwhile.
    row = tx.conn.execute(select(invitation.c.status).where(invitation.c.id == looked_up[0].id))
    if row.scalar_one() == "completed":
        return Refused("completed", _refusal_language(tx.conn, looked_up[0], wanted))
    return looked_up


def post_page(
    tx: Transaction,
    token: str,
    form: dict[str, str],
    settings: AnsweringSettings,
    now: datetime,
) -> Refused | Invalid | Moved | Done:
    """Save the page the form answers and go back or on, completing after the last page.

    A form with errors changes nothing (:class:`Invalid`); a form for a page that is not
    asked (any more) changes nothing either and goes on where the respondent left off.
    """
    looked_up = _held(tx, token, now, form.get("lang"))
    if isinstance(looked_up, Refused):
        return looked_up
    found, survey = looked_up
    shown = _shown(tx.conn, found, survey, form.get("page"), form.get("lang"))
    if _index(form.get("page"), shown.definition, shown.given) is None:
        return Moved(shown.index, shown.language)
    back = form.get("action") == "back"
    words = words_for(shown.language)
    read = read_page(
        shown.questions, form, text_limit=settings.text_limit, words=words, required=not back
    )
    if read.errors:
        return Invalid(shown, form, read.errors)
    saved = store.response_of_invitation(tx.conn, found.id) or store.start_response(
        tx, found, shown.language, now
    )
    store.save_page(tx, saved, shown.questions, read.given, shown.language, now)
    given = store.given_of(tx.conn, saved.id)
    if back:
        before = flow.previous_page(shown.definition, shown.index, given)
        return Moved(shown.index if before is None else before, shown.language)
    after = flow.next_page(shown.definition, shown.index, given)
    if after is not None:
        return Moved(after, shown.language)
    # Every page up to this one was answered as required (none after it may be skipped to):
    # nothing required is missing.
    complete(tx, saved.id, now)
    return Done(shown.definition, shown.language)


def form_values(questions: tuple[Question, ...], given: Mapping[str, Given]) -> dict[str, str]:
    """The form fields that show the saved answers to ``questions``."""
    values: dict[str, str] = {}
    for question in questions:
        found = given.get(question.key)
        if found is None:
            continue
        name = f"q.{question.key}"
        if found.score is not None:
            values[name] = str(found.score)
        elif question.kind == "single":
            values[name] = found.choices[0] if found.choices else "_other"
        elif question.kind == "multiple":
            values.update({f"{name}.{key}": "on" for key in found.choices or ()})
            if found.text:
                values[f"{name}._other"] = "on"
        elif found.text is not None:
            values[name] = found.text
        if question.kind in ("single", "multiple") and found.text:
            values[f"{name}._text"] = found.text
    return values
