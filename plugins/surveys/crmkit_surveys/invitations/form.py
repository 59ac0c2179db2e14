"""The send and rule forms of the pages: plain form fields into the JSON the services read.

Fields are named after the places the services name in their refusals
(``message.en.text``, ``audience.segment_id``), so that a refused form marks the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from crmkit import ValidationError, parse_whole_number

AUDIENCE_KINDS = ("party_ids", "segment_id", "list_id")
_IDS = re.compile(r"[\s,;]+")


def _number(form: Mapping[str, str], name: str, minimum: int = 0) -> int | None:
    text = form.get(name, "").strip()
    return None if not text else parse_whole_number(name, text, minimum=minimum)


def messages_of(form: Mapping[str, str], languages: Iterable[str], channel: str) -> dict[str, Any]:
    """The message per language: a language whose fields are all blank is left out."""
    names = ("subject", "text", "html") if channel == "email" else ("text",)
    found: dict[str, Any] = {}
    for language in languages:
        given = {n: form.get(f"message.{language}.{n}", "") for n in names}
        filled = {n: v for n, v in given.items() if v.strip()}
        if filled:
            found[language] = filled
    return found


def send_of(form: Mapping[str, str], languages: Iterable[str]) -> dict[str, Any]:
    """A send's JSON from the new-send form."""
    kind = form.get("audience", "party_ids")
    if kind not in AUDIENCE_KINDS:
        raise ValidationError("audience", "choose party ids, a segment or a list")
    where = f"audience.{kind}"
    if kind == "party_ids":
        words = [w for w in _IDS.split(form.get(where, "")) if w]
        audience: dict[str, Any] = {kind: [parse_whole_number(where, w, minimum=1) for w in words]}
    else:
        audience = {kind: _number(form, where, minimum=1)}
    channel = form.get("channel", "email")
    data: dict[str, Any] = {
        "audience": audience,
        "channel": channel,
        "message": messages_of(form, languages, channel),
    }
    days = _number(form, "expires_after_days", minimum=1)
    if days is not None:
        data["expires_after_days"] = days
    return data


def conditions_of(text: str) -> dict[str, list[str]]:
    """``status = resolved, closed`` lines: each payload key with its accepted values (text)."""
    found: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sign, values = line.partition("=")
        accepted = [v.strip() for v in values.split(",") if v.strip()]
        if not sign or not key.strip() or not accepted:
            raise ValidationError("conditions", f"line {number}: write key = value, value")
        found[key.strip()] = accepted
    return found


def conditions_text(conditions: Mapping[str, list[Any]]) -> str:
    return "\n".join(f"{k} = {', '.join(str(v) for v in vs)}" for k, vs in conditions.items())


def rule_of(form: Mapping[str, str], languages: Iterable[str]) -> dict[str, Any]:
    """A rule's JSON from the rule form."""
    channel = form.get("channel", "email")
    data: dict[str, Any] = {
        "survey_id": _number(form, "survey_id", minimum=1),
        "event_type": form.get("event_type", "").strip(),
        "conditions": conditions_of(form.get("conditions", "")),
        "channel": channel,
        "message": messages_of(form, languages, channel),
        "active": form.get("active") == "on",
    }
    for name in ("delay_minutes", "quiet_days", "expires_after_days"):
        value = _number(form, name)
        if value is not None:
            data[name] = value
    return data


def rule_values(rule: Any) -> dict[str, str]:
    """A stored rule as the form shows it."""
    values = {
        "survey_id": str(rule.survey_id),
        "event_type": rule.event_type,
        "conditions": conditions_text(rule.conditions),
        "channel": rule.channel,
        "delay_minutes": str(rule.delay_minutes),
        "quiet_days": str(rule.quiet_days),
        "expires_after_days": str(rule.expires_after_days),
        "active": "on" if rule.active else "",
    }
    for language, message in rule.message.items():
        for name, text in message.items():
            values[f"message.{language}.{name}"] = text
    return values
