"""From a Lead Ads lead's ``field_data`` to the data of a kernel prospect.

Each of the form's fields goes where its *target* says: a field of the prospect (``email``,
``phone``, ``full_name``, ``first_name``, ``last_name``, ``organisation_name``,
``birth_date``, ``street``, ``street_number``, ``address_line2``, ``postcode``, ``city``,
``region``, ``country``), a custom field (``custom.<name>``), a consent question
(``consent:<purpose>`` or ``consent:<purpose>:<channel>``; ``consent`` alone is the
configured purpose), or nowhere (``ignore``). The target of a field is the form's own
mapping's, else the settings' ``fields``, else the built-in default (Meta's standard
questions); a field none of them names is kept in the lead's raw record as it came.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from attrs import frozen

from crmkit import ValidationError

PERSON_FIELDS = ("full_name", "first_name", "last_name", "organisation_name", "birth_date")
ADDRESS_FIELDS = ("street", "street_number", "address_line2", "postcode", "city", "region")
TARGETS: tuple[str, ...] = (
    "email",
    "phone",
    *PERSON_FIELDS,
    *ADDRESS_FIELDS,
    "country",
    "ignore",
)
CONSENT_CHANNELS = ("email", "sms", "phone", "post")
CUSTOM = re.compile(r"^custom\.[a-z][a-z0-9_]{0,99}$")
CONSENT = re.compile(r"^consent(?::([a-z][a-z0-9_.-]{0,49}))?(?::(email|sms|phone|post))?$")
LIMITS = {
    "first_name": 150,
    "last_name": 150,
    "organisation_name": 300,
    "street": 200,
    "street_number": 50,
    "address_line2": 200,
    "postcode": 20,
    "city": 200,
    "region": 200,
    "country": 100,
}
MAX_FIELDS = 200
MAX_NAME = 200
MAX_ANSWER = 5000

# Meta's standard questions (and the names integrators commonly give their own).
DEFAULT_FIELDS: dict[str, str] = {
    "email": "email",
    "work_email": "email",
    "phone_number": "phone",
    "phone": "phone",
    "work_phone_number": "phone",
    "full_name": "full_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "company_name": "organisation_name",
    "date_of_birth": "birth_date",
    "street_address": "street",
    "city": "city",
    "state": "region",
    "province": "region",
    "country": "country",
    "post_code": "postcode",
    "zip_code": "postcode",
    "zip": "postcode",
}

YES = frozenset({"yes", "y", "true", "1", "on", "checked", "agree", "i agree", "ja", "oui", "si"})
NO = frozenset({"no", "n", "false", "0", "off", "nein", "non"})


def check_target(name: str, target: Any) -> str:
    """``target`` if it is one a field may have, else a ``ValidationError`` naming ``name``."""
    if isinstance(target, str) and (
        target in TARGETS or CUSTOM.match(target) or CONSENT.match(target)
    ):
        return target
    raise ValidationError(
        name,
        f"expected one of {', '.join(TARGETS)}, custom.<field>, "
        "consent:<purpose> or consent:<purpose>:<channel>",
    )


def check_fields(value: Any, prefix: str = "fields") -> dict[str, str]:
    """A mapping of field name -> target, each checked; a ``ValidationError`` naming
    ``fields.<name>`` (or ``fields``) otherwise."""
    if not isinstance(value, Mapping):
        raise ValidationError(prefix, "expected an object of field name -> target")
    if len(value) > MAX_FIELDS:
        raise ValidationError(prefix, f"at most {MAX_FIELDS} fields")
    checked: dict[str, str] = {}
    for name, target in value.items():
        if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or "\x00" in name:
            raise ValidationError(prefix, f"field names are 1 to {MAX_NAME} characters")
        checked[name] = check_target(f"{prefix}.{name}", target)
    return checked


@frozen
class ConsentAnswer:
    """A consent question's answer: ``status`` granted or withdrawn, per channel."""

    question: str
    purpose: str
    channel: str
    status: str


@frozen
class Mapped:
    """What a lead's fields make: the prospect's data, the consent answers, what no mapping
    placed (kept raw) and what could not be read (``problems``, field -> reason)."""

    data: dict[str, Any]
    consents: list[ConsentAnswer]
    unmapped: dict[str, list[str]]
    problems: dict[str, str]
    targets: dict[str, str]


def values_of(item: Any) -> list[str]:
    found = item.get("values") if isinstance(item, Mapping) else None
    if not isinstance(found, list):
        return []
    # A NUL no database stores; an answer is text of at most 2,000 characters in Meta's forms.
    texts = (str(v).replace("\x00", "").strip()[:MAX_ANSWER] for v in found if v is not None)
    return [text for text in texts if text]


def read_birth_date(text: str) -> date | None:
    """Meta sends ``MM/DD/YYYY``; an integrator's own question may say ``YYYY-MM-DD``."""
    for pattern in ("%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _consent(
    question: str, target: str, answer: str | None, purpose: str, channels: Sequence[str]
) -> list[ConsentAnswer] | str:
    found = CONSENT.match(target)
    assert found is not None
    status = None
    if answer is not None:
        word = answer.strip().lower()
        status = "granted" if word in YES else "withdrawn" if word in NO else None
    if status is None:
        return f"{answer!r} is no yes or no"
    chosen = (found.group(2),) if found.group(2) else tuple(channels)
    return [ConsentAnswer(question, found.group(1) or purpose, c, status) for c in chosen]


def map_lead(
    field_data: Any,
    disclaimers: Any,
    targets: Mapping[str, str],
    *,
    disclaimer_consent: bool,
    purpose: str,
    channels: Sequence[str],
) -> Mapped:
    """Place each of ``field_data`` (Meta's ``[{"name", "values"}]``) and each ticked
    disclaimer of ``disclaimers`` (``[{"checkbox_key", "is_checked"}]``) by ``targets``
    (field name -> target, the default mapping already folded in)."""
    data: dict[str, Any] = {}
    emails: list[str] = []
    phones: list[str] = []
    address: dict[str, str] = {}
    custom: dict[str, Any] = {}
    consents: list[ConsentAnswer] = []
    unmapped: dict[str, list[str]] = {}
    problems: dict[str, str] = {}
    used: dict[str, str] = {}
    for item in field_data if isinstance(field_data, list) else []:
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not name:
            continue
        values = values_of(item)
        target = targets.get(name)
        if target is None:
            unmapped[name] = values
            continue
        used[name] = target
        if target == "ignore" or not values:
            continue
        first = values[0]
        if target == "email":
            emails.extend(v for v in values if v not in emails)
        elif target == "phone":
            phones.extend(v for v in values if v not in phones)
        elif target == "birth_date":
            born = read_birth_date(first)
            if born is None:
                problems[name] = f"{first!r} is no date"
                unmapped[name] = values
            else:
                data["birth_date"] = born.isoformat()
        elif target == "full_name":
            data["full_name"] = first
        elif target in LIMITS and target not in ADDRESS_FIELDS and target != "country":
            data[target] = first[: LIMITS[target]]
        elif target in ADDRESS_FIELDS or target == "country":
            address[target] = first[: LIMITS[target]]
        elif target.startswith("custom."):
            custom[target.removeprefix("custom.")] = first if len(values) == 1 else values
        else:
            answers = _consent(name, target, first, purpose, channels)
            if isinstance(answers, str):
                problems[name] = answers
                unmapped[name] = values
            else:
                consents.extend(answers)
    for item in disclaimers if isinstance(disclaimers, list) else []:
        key = item.get("checkbox_key") if isinstance(item, Mapping) else None
        if not isinstance(key, str) or not key:
            continue
        checked = str(item.get("is_checked", "")).strip().lower() in YES
        target = targets.get(key)
        if target is None:
            if not disclaimer_consent:
                continue
            target = "consent"
        used[key] = target
        if target.startswith("consent") and checked:
            answers = _consent(key, target, "yes", purpose, channels)
            assert not isinstance(answers, str)
            consents.extend(answers)
    full_name = data.pop("full_name", None)
    if full_name and not (data.get("first_name") or data.get("last_name")):
        first_name, _, last_name = full_name.strip().rpartition(" ")
        if first_name:
            data["first_name"] = first_name[: LIMITS["first_name"]]
        data["last_name"] = (last_name or full_name)[: LIMITS["last_name"]]
    if data.get("organisation_name") and not (data.get("first_name") or data.get("last_name")):
        data["kind"] = "organisation"
    if emails:
        data["emails"] = emails[:10]
    if phones:
        data["phones"] = phones[:10]
    if address:
        data["addresses"] = [address]
    if custom:
        data["custom"] = custom
    return Mapped(data, consents, unmapped, problems, used)
