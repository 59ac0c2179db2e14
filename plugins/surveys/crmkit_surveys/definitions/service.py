"""Surveys and their versions: create, read, change, publish, close, reopen and delete.

A survey's questionnaire lives in versions numbered 1, 2, ...: at most the latest is a
draft, which is edited in place; every other is published and never changes again, since
invitations and answers point at it. Saving a definition when the latest version is
published starts a new draft, ``n + 1``; publishing it points the survey at it.
Every change names the survey ``version`` it read (a change made meanwhile is a 409) and
every refusal names the field and stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, delete, exists, func, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    check_fields,
    read_choice,
    read_id,
    read_text,
    record_audit,
    user_table,
    utcnow,
)
from crmkit_surveys.answering.tables import response
from crmkit_surveys.definitions.language import LANGUAGE, read_definition, to_json
from crmkit_surveys.definitions.model import Definition, Page, Question, Survey, SurveyVersion
from crmkit_surveys.definitions.settings import DefinitionsSettings
from crmkit_surveys.definitions.tables import STATUSES, survey, survey_version
from crmkit_surveys.invitations.tables import invitation

ENTITY = "surveys.survey"
NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5000
FIELDS = ("name", "description", "default_language", "owner_id", "definition")
CHANGEABLE = ("name", "description", "owner_id")
STORED = DefinitionsSettings(
    max_pages=100, max_questions=500, max_options=200, max_text_length=10000, max_languages=50
)
"""The widest limits: a stored definition was valid when saved and is read with these, so
that lowering the settings' limits later leaves what was published readable."""


@frozen
class SurveySummary:
    """A survey in a list, with how many versions and completed responses it has."""

    id: int
    name: str
    status: str
    default_language: str
    published_version_id: int | None
    owner_id: int | None
    versions: int
    responses: int
    updated_at: datetime
    version: int


@frozen
class VersionSummary:
    """A version in a list: without its definition, with how many questions it asks."""

    id: int
    number: int
    status: str
    questions: int
    created_at: datetime
    published_at: datetime | None


def limits_of(tx: Transaction) -> DefinitionsSettings:
    """The definition limits of the CRM ``tx`` belongs to."""
    found: DefinitionsSettings = tx.app.settings_of["surveys"].definitions
    return found


STARTER_TEXTS = {
    "en": ("Your opinion", "How likely are you to recommend us to a friend?"),
    "de": ("Ihre Meinung", "Wie wahrscheinlich ist es, dass Sie uns einem Freund empfehlen?"),
    "fr": ("Votre avis", "Quelle est la probabilité que vous nous recommandiez à un ami ?"),
    "es": ("Su opinión", "¿Qué probabilidad hay de que nos recomiende a un amigo?"),
}
"""The starter question's texts in the languages they are written in (``de-CH`` takes the
``de`` ones); a survey in another language must be given its definition."""


def starter_definition(language: str) -> dict[str, Any]:
    """What a new survey asks until it is edited: one NPS question, in its language.
    ValidationError naming ``definition`` for a language it has no texts in."""
    texts = STARTER_TEXTS.get(language) or STARTER_TEXTS.get(language.split("-")[0])
    if texts is None:
        raise ValidationError(
            "definition",
            f"is required for a survey in {language!r}: the starter question is written only "
            f"in {', '.join(STARTER_TEXTS)}",
        )
    title, question = texts
    return to_json(
        Definition(
            languages=(language,),
            title={language: title},
            pages=(
                Page(
                    questions=(
                        Question(
                            key="nps",
                            kind="nps",
                            text={language: question},
                            required=True,
                            scale=(0, 10),
                        ),
                    )
                ),
            ),
        )
    )


# --- Reading


def _survey_of(row: Any) -> Survey:
    return Survey(
        id=row.id,
        name=row.name,
        description=row.description,
        status=row.status,
        default_language=row.default_language,
        published_version_id=row.published_version_id,
        owner_id=row.owner_id,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def _version_of(row: Any) -> SurveyVersion:
    return SurveyVersion(
        id=row.id,
        survey_id=row.survey_id,
        number=row.number,
        status=row.status,
        definition=read_definition(row.definition, STORED),
        created_at=row.created_at,
        published_at=row.published_at,
    )


def get_survey(conn: Connection, survey_id: int) -> Survey:
    """The survey; NotFound if there is none."""
    found = conn.execute(select(survey).where(survey.c.id == survey_id)).first()
    if found is None:
        raise NotFound(f"survey {survey_id} does not exist")
    return _survey_of(found)


def find_survey(conn: Connection, name: str) -> Survey | None:
    """The survey named ``name`` exactly, or None."""
    found = conn.execute(select(survey).where(survey.c.name == name)).first()
    return None if found is None else _survey_of(found)


def get_version(conn: Connection, version_id: int) -> SurveyVersion:
    """The survey version with its definition; NotFound if there is none."""
    found = conn.execute(select(survey_version).where(survey_version.c.id == version_id)).first()
    if found is None:
        raise NotFound(f"survey version {version_id} does not exist")
    return _version_of(found)


def latest_version(conn: Connection, survey_id: int) -> SurveyVersion:
    """The survey's highest-numbered version (its draft, if it has one)."""
    found = conn.execute(
        select(survey_version)
        .where(survey_version.c.survey_id == survey_id)
        .order_by(survey_version.c.number.desc())
        .limit(1)
    ).first()
    if found is None:
        raise NotFound(f"survey {survey_id} does not exist")
    return _version_of(found)


def list_versions(conn: Connection, survey_id: int) -> list[VersionSummary]:
    """The survey's versions, newest first."""
    get_survey(conn, survey_id)
    rows = conn.execute(
        select(survey_version)
        .where(survey_version.c.survey_id == survey_id)
        .order_by(survey_version.c.number.desc())
    )
    return [
        VersionSummary(
            id=r.id,
            number=r.number,
            status=r.status,
            questions=sum(len(p.get("questions", ())) for p in r.definition.get("pages", ())),
            created_at=r.created_at,
            published_at=r.published_at,
        )
        for r in rows
    ]


def list_surveys(conn: Connection, *, status: str | None = None) -> list[SurveySummary]:
    """Every survey (or those of ``status``), by name, with counts of versions and completed
    responses."""
    versions = (
        select(survey_version.c.survey_id, func.count().label("n"))
        .group_by(survey_version.c.survey_id)
        .subquery()
    )
    responses = (
        select(response.c.survey_id, func.count().label("n"))
        .where(response.c.status == "completed")
        .group_by(response.c.survey_id)
        .subquery()
    )
    query = (
        select(
            survey,
            func.coalesce(versions.c.n, 0).label("versions"),
            func.coalesce(responses.c.n, 0).label("responses"),
        )
        .outerjoin(versions, versions.c.survey_id == survey.c.id)
        .outerjoin(responses, responses.c.survey_id == survey.c.id)
    )
    if status is not None:
        query = query.where(survey.c.status == read_choice("status", status, STATUSES))
    rows = conn.execute(query.order_by(survey.c.name, survey.c.id))
    return [
        SurveySummary(
            id=r.id,
            name=r.name,
            status=r.status,
            default_language=r.default_language,
            published_version_id=r.published_version_id,
            owner_id=r.owner_id,
            versions=r.versions,
            responses=r.responses,
            updated_at=r.updated_at,
            version=r.version,
        )
        for r in rows
    ]


# --- Changing


def _owner(conn: Connection, value: Any) -> int | None:
    if value is None:
        return None
    owner_id = read_id("owner_id", value)
    active = conn.execute(
        select(user_table.c.active).where(user_table.c.id == owner_id)
    ).scalar_one_or_none()
    if not active:
        raise ValidationError("owner_id", f"no active user {owner_id}")
    return owner_id


def _name(tx: Transaction, value: Any, survey_id: int | None) -> str:
    """A name no other survey has, ignoring case ("Service follow-up" and "service
    follow-up" name one survey); held until the transaction ends, so that two surveys
    named alike at once do not both pass."""
    name = read_text("name", value, limit=NAME_LENGTH, required=True)
    assert name is not None
    folded = name.casefold()
    tx.hold(f"surveys.name:{folded}")
    # Compared here, not in SQL: SQLite's lower() folds only ASCII letters. A CRM has
    # surveys by the hundred, not by the million.
    others = select(survey.c.name)
    if survey_id is not None:
        others = others.where(survey.c.id != survey_id)
    for taken in tx.conn.execute(others).scalars():
        if taken.casefold() == folded:
            raise ValidationError("name", f"a survey named {taken!r} exists already")
    return name


def _language(value: Any) -> str:
    if not isinstance(value, str) or LANGUAGE.fullmatch(value) is None:
        raise ValidationError("default_language", "expected a language tag such as en, de or pt-BR")
    return value


def _checked(tx: Transaction, data: Any, default_language: str | None) -> dict[str, Any]:
    """The JSON form of the definition ``data``, refused (``definition.…``) unless valid
    within the settings' limits and (when given) in the survey's default language."""
    try:
        definition = read_definition(data, limits_of(tx))
    except ValidationError as exc:
        raise ValidationError(_under_definition(exc.field), exc.reason) from None
    if default_language is not None and default_language not in definition.languages:
        raise ValidationError(
            "definition.languages", f"must include the survey's language {default_language}"
        )
    return to_json(definition)


def _under_definition(field: str) -> str:
    return field if field == "definition" else f"definition.{field}"


def create_survey(tx: Transaction, data: Mapping[str, Any]) -> Survey:
    """A new survey in status draft from ``data`` (name, description, default_language,
    owner_id, definition), with a draft version 1 holding the definition (or a starter one)."""
    check_fields(data, FIELDS)
    name = _name(tx, data.get("name"), None)
    description = read_text("description", data.get("description"), limit=DESCRIPTION_LENGTH)
    raw = data.get("definition")
    if data.get("default_language") is not None:
        language = _language(data["default_language"])
    elif raw is not None:
        # Without a language of its own, the survey's is its definition's first.
        language = _checked(tx, raw, None)["languages"][0]
    else:
        language = "en"
    owner_id = _owner(tx.conn, data["owner_id"]) if "owner_id" in data else tx.actor.user_id
    definition = _checked(tx, starter_definition(language) if raw is None else raw, language)
    now = utcnow()
    survey_id = tx.conn.execute(
        insert(survey)
        .values(
            name=name,
            description=description,
            status="draft",
            default_language=language,
            published_version_id=None,
            owner_id=owner_id,
            created_by=tx.actor.user_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        .returning(survey.c.id)
    ).scalar_one()
    version_id = _insert_version(tx, survey_id, 1, definition, now)
    record_audit(tx, ENTITY, survey_id, "created", {"name": [None, name]})
    tx.emit(
        "surveys.survey_created",
        ENTITY,
        survey_id,
        {"id": survey_id, "name": name, "version_id": version_id},
    )
    return get_survey(tx.conn, survey_id)


def _insert_version(
    tx: Transaction, survey_id: int, number: int, definition: dict[str, Any], now: datetime
) -> int:
    version_id: int = tx.conn.execute(
        insert(survey_version)
        .values(
            survey_id=survey_id,
            number=number,
            status="draft",
            definition=definition,
            created_by=tx.actor.user_id,
            created_at=now,
            published_at=None,
        )
        .returning(survey_version.c.id)
    ).scalar_one()
    return version_id


def _required_version(version: int | None) -> int:
    if version is None:
        raise ValidationError("version", "is required: the version last read")
    return version


def _bump(tx: Transaction, current: Survey, version: int | None, **values: Any) -> None:
    """Change the survey row if it is still at ``version`` (or at any, when None)."""
    query = update(survey).where(survey.c.id == current.id)
    if version is not None:
        query = query.where(survey.c.version == version)
    changed = tx.conn.execute(
        query.values(**values, updated_at=utcnow(), version=survey.c.version + 1)
    ).rowcount
    if changed != 1:
        raise ConflictError(
            f"survey {current.id} was changed meanwhile (version {current.version})"
        )


def update_survey(
    tx: Transaction, survey_id: int, data: Mapping[str, Any], version: int | None
) -> Survey:
    """Change the survey's name, description or owner, if it is still at ``version``."""
    current = get_survey(tx.conn, survey_id)
    expected = _required_version(version)
    check_fields(data, CHANGEABLE)
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _name(tx, data["name"], survey_id)
    if "description" in data:
        values["description"] = read_text(
            "description", data["description"], limit=DESCRIPTION_LENGTH
        )
    if "owner_id" in data:
        values["owner_id"] = _owner(tx.conn, data["owner_id"])
    _bump(tx, current, expected, **values)
    changes = {k: [getattr(current, k), v] for k, v in values.items() if k != "description"}
    if "description" in values:
        changes["description"] = [None, "changed"]
    record_audit(tx, ENTITY, survey_id, "updated", changes)
    found = get_survey(tx.conn, survey_id)
    tx.emit("surveys.survey_updated", ENTITY, survey_id, {"id": survey_id, "name": found.name})
    return found


def save_definition(
    tx: Transaction, survey_id: int, data: Any, version: int | None
) -> SurveyVersion:
    """Make ``data`` the survey's draft definition, if the survey is still at ``version``.

    The draft version is changed in place; when the latest version is published (never
    changed again), a new draft numbered after it is made.
    """
    current = get_survey(tx.conn, survey_id)
    expected = _required_version(version)
    definition = _checked(tx, data, current.default_language)
    _bump(tx, current, expected)
    latest = latest_version(tx.conn, survey_id)
    now = utcnow()
    if latest.status == "draft":
        tx.conn.execute(
            update(survey_version)
            .where(survey_version.c.id == latest.id, survey_version.c.status == "draft")
            .values(definition=definition, created_at=now)
        )
        version_id, number = latest.id, latest.number
    else:
        number = latest.number + 1
        version_id = _insert_version(tx, survey_id, number, definition, now)
    record_audit(tx, ENTITY, survey_id, "updated", {"draft": [None, number]})
    tx.emit(
        "surveys.draft_saved",
        ENTITY,
        survey_id,
        {"id": survey_id, "name": current.name, "version_id": version_id, "number": number},
    )
    return get_version(tx.conn, version_id)


def publish(tx: Transaction, survey_id: int, version: int | None = None) -> Survey:
    """Publish the survey's draft: new invitations and open answers use it from now on, and
    it never changes again. A closed survey is reopened first; a survey without a draft has
    nothing to publish."""
    current = get_survey(tx.conn, survey_id)
    if current.status == "closed":
        raise ConflictError(f"survey {survey_id} is closed: reopen it before publishing")
    latest = latest_version(tx.conn, survey_id)
    if latest.status != "draft":
        raise ConflictError(
            f"survey {survey_id} has no draft: version {latest.number} is published already"
        )
    # The limits may have been lowered since the draft was saved.
    _checked(tx, to_json(latest.definition), current.default_language)
    now = utcnow()
    _bump(tx, current, version, status="active", published_version_id=latest.id)
    tx.conn.execute(
        update(survey_version)
        .where(survey_version.c.id == latest.id)
        .values(status="published", published_at=now)
    )
    record_audit(tx, ENTITY, survey_id, "updated", {"published_version": [None, latest.number]})
    tx.emit(
        "surveys.survey_published",
        ENTITY,
        survey_id,
        {"id": survey_id, "name": current.name, "version_id": latest.id, "number": latest.number},
    )
    return get_survey(tx.conn, survey_id)


def close(tx: Transaction, survey_id: int, version: int | None = None) -> Survey:
    """Close the survey: no new invitations, no new answers (the other parts check its status)."""
    current = get_survey(tx.conn, survey_id)
    if current.status != "active":
        raise ConflictError(f"survey {survey_id} is {current.status}: only an active one closes")
    return _set_status(tx, current, version, "closed", "surveys.survey_closed")


def reopen(tx: Transaction, survey_id: int, version: int | None = None) -> Survey:
    """Open a closed survey to invitations and answers again, with its published version."""
    current = get_survey(tx.conn, survey_id)
    if current.status != "closed":
        raise ConflictError(f"survey {survey_id} is {current.status}: only a closed one reopens")
    return _set_status(tx, current, version, "active", "surveys.survey_reopened")


def _set_status(
    tx: Transaction, current: Survey, version: int | None, status: str, event: str
) -> Survey:
    _bump(tx, current, version, status=status)
    record_audit(tx, ENTITY, current.id, "updated", {"status": [current.status, status]})
    tx.emit(event, ENTITY, current.id, {"id": current.id, "name": current.name})
    return get_survey(tx.conn, current.id)


def delete_survey(tx: Transaction, survey_id: int, version: int | None) -> None:
    """Delete the survey and its versions, if it is still at ``version`` and nobody was ever
    invited to it nor answered it (such a survey is closed instead, keeping its results)."""
    current = get_survey(tx.conn, survey_id)
    expected = _required_version(version)
    used = tx.conn.execute(
        select(
            exists().where(response.c.survey_id == survey_id)
            | exists().where(invitation.c.survey_id == survey_id)
        )
    ).scalar_one()
    if used:
        raise ConflictError(
            f"survey {survey_id} has invitations or responses: close it instead of deleting it"
        )
    gone = tx.conn.execute(
        delete(survey).where(survey.c.id == survey_id, survey.c.version == expected)
    ).rowcount
    if gone != 1:
        raise ConflictError(f"survey {survey_id} was changed meanwhile (version {current.version})")
    record_audit(tx, ENTITY, survey_id, "deleted", {"name": [current.name, None]})
    tx.emit("surveys.survey_deleted", ENTITY, survey_id, {"id": survey_id, "name": current.name})
