"""The JSON request and answer bodies of the survey routes, as the OpenAPI document describes them.

The service validates what arrives (naming the wrong place, ``definition.pages[1].questions[0].key``);
these classes tell clients what to send. A definition is the JSON of docs/definitions.md, held
to the settings' limits by the service rather than by a schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from attrs import field, frozen

from crmkit_surveys.definitions.language import to_json
from crmkit_surveys.definitions.model import SurveyVersion

LANGUAGE = {
    "json": {"pattern": "^[a-z]{2,3}(-([A-Z]{2}|[A-Z][a-z]{3}|[0-9]{3}))?$", "maxLength": 10}
}
DEFINITION = {"json": {"description": "The questionnaire: see docs/definitions.md"}}


@frozen
class SurveyInput:
    """A new survey; without a definition it starts with one NPS question in its language."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"minLength": 1, "maxLength": 200}})
    description: str | None = field(default=None, metadata={"json": {"maxLength": 5000}})
    default_language: str | None = field(default=None, metadata=LANGUAGE)
    """None: the definition's first language, or en without a definition."""
    owner_id: int | None = None
    definition: dict[str, Any] | None = field(default=None, metadata=DEFINITION)


@frozen
class SurveyChanges:
    """Changed fields of a survey; ``version`` (the survey's, last read) is required."""

    __json_input__: ClassVar[bool] = True

    version: int
    name: str | None = field(default=None, metadata={"json": {"maxLength": 200}})
    description: str | None = field(default=None, metadata={"json": {"maxLength": 5000}})
    owner_id: int | None = None


@frozen
class DraftInput:
    """The survey's new draft definition; ``version`` (the survey's, last read) is required."""

    __json_input__: ClassVar[bool] = True

    version: int
    definition: dict[str, Any] = field(metadata=DEFINITION)


@frozen
class StatusChange:
    """Publish, close or reopen; ``version``, when given, must be the survey's current one."""

    __json_input__: ClassVar[bool] = True

    version: int | None = None


@frozen
class VersionView:
    """A survey version with its definition as JSON."""

    id: int
    survey_id: int
    number: int
    status: str
    definition: dict[str, Any]
    created_at: datetime
    published_at: datetime | None


def view_of(found: SurveyVersion) -> VersionView:
    return VersionView(
        id=found.id,
        survey_id=found.survey_id,
        number=found.number,
        status=found.status,
        definition=to_json(found.definition),
        created_at=found.created_at,
        published_at=found.published_at,
    )
