"""What invitations need of a survey: whether it may be sent, its version and languages.

Read from the definitions part's tables in one query, so that a send or a rule firing
checks the survey where it writes its invitations.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen
from sqlalchemy import Connection, select

from crmkit import ConflictError, NotFound, Transaction
from crmkit_surveys.definitions.tables import survey, survey_version


@frozen
class SurveyState:
    id: int
    name: str
    status: str
    default_language: str
    version_id: int | None
    languages: tuple[str, ...]

    @property
    def sendable(self) -> bool:
        """Active with a published version: new invitations may be made."""
        return self.status == "active" and self.version_id is not None

    def language_for(self, preferred: Any) -> str:
        """A party's preferred language when the version is in it, else the default language."""
        if isinstance(preferred, str) and preferred.lower() in self.languages:
            return preferred.lower()
        return self.default_language


def survey_state(conn: Connection, survey_id: int) -> SurveyState:
    """NotFound for a survey that does not exist."""
    row = conn.execute(
        select(
            survey.c.id,
            survey.c.name,
            survey.c.status,
            survey.c.default_language,
            survey.c.published_version_id,
            survey_version.c.definition,
        )
        .outerjoin(survey_version, survey_version.c.id == survey.c.published_version_id)
        .where(survey.c.id == survey_id)
    ).first()
    if row is None:
        raise NotFound(f"survey {survey_id} does not exist")
    definition = row.definition if isinstance(row.definition, dict) else {}
    languages = tuple(str(x) for x in definition.get("languages") or (row.default_language,))
    return SurveyState(
        row.id,
        row.name,
        row.status,
        row.default_language,
        row.published_version_id,
        languages,
    )


def sendable_survey(tx: Transaction, survey_id: int) -> SurveyState:
    """The survey, held until ``tx`` ends so that invitations to it are decided one writer at a
    time (the quiet period holds across concurrent sends); ConflictError when it may not be sent."""
    tx.hold(f"surveys.survey:{survey_id}")
    found = survey_state(tx.conn, survey_id)
    if not found.sendable:
        raise ConflictError(
            f"survey {survey_id} is {found.status}"
            + ("" if found.version_id is not None else " with no published version")
            + ": only an active survey with a published version is sent"
        )
    return found
