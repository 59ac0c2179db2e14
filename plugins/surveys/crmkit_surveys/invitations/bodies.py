"""The JSON request bodies of the invitations routes, as the OpenAPI document describes them.

The services validate the bodies themselves, naming the wrong field; these classes tell API
clients what to send and bound every text and list.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from attrs import field, frozen

from crmkit_surveys.invitations.messages import LIMITS, MAX_LANGUAGES, SMS_LIMIT
from crmkit_surveys.invitations.rules import MAX_CONDITIONS, MAX_VALUE_LENGTH, MAX_VALUES
from crmkit_surveys.invitations.settings import MAX_PARTY_IDS

Channel = Literal["email", "sms"]

MESSAGE_SCHEMA = {
    "maxProperties": MAX_LANGUAGES,
    "description": "A message per language code: subject, text (with {{ survey_url }}) and "
    "optional html for email; text for SMS",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "subject": {"type": "string", "maxLength": LIMITS["subject"]},
            "text": {"type": "string", "maxLength": max(LIMITS["text"], SMS_LIMIT)},
            "html": {"type": "string", "maxLength": LIMITS["html"]},
        },
        "additionalProperties": False,
    },
}
CONDITIONS_SCHEMA = {
    "maxProperties": MAX_CONDITIONS,
    "description": "Payload key to the values that fire the rule",
    "additionalProperties": {
        "type": "array",
        "maxItems": MAX_VALUES,
        "items": {"type": ["string", "integer", "boolean"], "maxLength": MAX_VALUE_LENGTH},
    },
}


@frozen
class AudienceInput:
    """Exactly one of: a saved segment or a static list (campaigns plugin), or party ids."""

    __json_input__: ClassVar[bool] = True

    segment_id: int | None = None
    list_id: int | None = None
    party_ids: list[int] | None = field(
        default=None, metadata={"json": {"maxItems": MAX_PARTY_IDS}}
    )


@frozen
class SendInput:
    """A send of the survey's published version."""

    __json_input__: ClassVar[bool] = True

    audience: AudienceInput
    channel: Channel
    message: dict[str, Any] = field(metadata={"json": MESSAGE_SCHEMA})
    expires_after_days: int | None = None


@frozen
class PreviewInput:
    """The audience and channel of a send to be made."""

    __json_input__: ClassVar[bool] = True

    audience: AudienceInput
    channel: Channel


@frozen
class RuleInput:
    """A rule: after an event of ``event_type`` whose payload meets ``conditions``, invite the
    payload's ``party_id``. A PATCH takes any of these fields and ``version``."""

    __json_input__: ClassVar[bool] = True

    survey_id: int
    event_type: str = field(metadata={"json": {"maxLength": 100}})
    channel: Channel
    message: dict[str, Any] = field(metadata={"json": MESSAGE_SCHEMA})
    conditions: dict[str, Any] | None = field(default=None, metadata={"json": CONDITIONS_SCHEMA})
    delay_minutes: int | None = None
    quiet_days: int | None = None
    expires_after_days: int | None = None
    active: bool | None = None
    version: int | None = None
