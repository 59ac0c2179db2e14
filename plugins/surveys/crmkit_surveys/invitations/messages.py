"""The message of an invitation, per language: read from a send or a rule, and made into the
email or SMS the channels plugin renders (Jinja2, in its sandbox) for each recipient.

Templates are given ``survey_url`` (the recipient's own link), ``survey_name`` and
``expires_on`` (the last day the link may be answered, ``YYYY-MM-DD``), beside the
``party`` the channels plugin gives every template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crmkit_channels import EmailMessage, SmsMessage

from crmkit import ValidationError, check_fields, read_text

LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})?")
SURVEY_URL = re.compile(r"\{\{-?\s*survey_url\b")
"""The recipient's link in a template: a text without it would invite nobody anywhere."""
MAX_LANGUAGES = 20
LIMITS = {"subject": 300, "text": 20_000, "html": 100_000}
SMS_LIMIT = 1600
FIELDS = {"email": ("subject", "text", "html"), "sms": ("text",)}


def read_messages(
    data: Any,
    channel: str,
    default_language: str,
    languages: tuple[str, ...] | None = None,
    field: str = "message",
) -> dict[str, dict[str, str]]:
    """The message in each language, checked: ``{"en": {"subject": ..., "text": ..., "html": ...}}``
    for email, ``{"en": {"text": ...}}`` for SMS. ``languages``: the survey version's, when
    known. The survey's default language is required (the fallback of every other one); each
    ``text`` (and ``html``) must contain ``{{ survey_url }}``."""
    if not isinstance(data, Mapping) or not data:
        raise ValidationError(field, "expected an object: a message per language")
    if len(data) > MAX_LANGUAGES:
        raise ValidationError(field, f"at most {MAX_LANGUAGES} languages")
    if default_language not in data:
        raise ValidationError(
            field, f"a message in the survey's default language {default_language!r} is required"
        )
    found: dict[str, dict[str, str]] = {}
    for language, message in data.items():
        where = f"{field}.{language}"
        if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
            raise ValidationError(where, "expected a language code such as en or de")
        if languages is not None and language not in languages:
            raise ValidationError(
                where, f"the survey is not asked in {language!r} (it is in {', '.join(languages)})"
            )
        found[language] = _read_one(message, channel, where)
    return found


def _read_one(message: Any, channel: str, where: str) -> dict[str, str]:
    if not isinstance(message, Mapping):
        raise ValidationError(where, "expected an object")
    check_fields(message, FIELDS[channel], prefix=f"{where}.")
    texts: dict[str, str] = {}
    for name in FIELDS[channel]:
        limit = SMS_LIMIT if channel == "sms" else LIMITS[name]
        value = read_text(
            f"{where}.{name}", message.get(name), limit=limit, required=name != "html"
        )
        if value is None:
            continue
        if name != "subject" and not SURVEY_URL.search(value):
            raise ValidationError(
                f"{where}.{name}", "must contain {{ survey_url }}, the recipient's link"
            )
        texts[name] = value
    return texts


def in_language(messages: Mapping[str, Any], language: str, default_language: str) -> Any:
    """The message in ``language``, else in the default language, else the first one."""
    if language in messages:
        return messages[language]
    if default_language in messages:
        return messages[default_language]
    return next(iter(messages.values()))


def channel_message(
    channel: str,
    party_id: int,
    message: Mapping[str, str],
    *,
    purpose: str,
    transactional: bool,
    survey_url: str,
    survey_name: str,
    expires_at: datetime,
) -> EmailMessage | SmsMessage:
    """The email or SMS inviting ``party_id``, for the channels plugin's ``send_many``."""
    variables = {
        "survey_url": survey_url,
        "survey_name": survey_name,
        "expires_on": expires_at.date().isoformat(),
    }
    if channel == "sms":
        return SmsMessage(
            party_id,
            purpose,
            body=message["text"],
            variables=variables,
            transactional=transactional,
        )
    return EmailMessage(
        party_id,
        purpose,
        subject=message["subject"],
        text=message["text"],
        html=message.get("html"),
        variables=variables,
        transactional=transactional,
        # The link is the recipient's secret: a click redirect would record it.
        track_clicks=False,
    )


def message_ref(channel: str, outbound_id: int) -> str:
    """Which outbox row carries an invitation: ``channels.email:12`` or ``channels.sms:3``."""
    return f"channels.{channel}:{outbound_id}"
