"""Web-to-lead: a visitor's enquiry from the public form, taken in like every other prospect.

The enquiry goes through the intake pipeline; its message lands on the
prospect's timeline; ticking the marketing box records a *pending* consent whose
confirmation link is handed to channel plugins (``core.consent_requested``), so
that consent is granted only once the visitor confirms from their mailbox
(double opt-in).

Submissions are limited per client address with the attempt budgets the
failed-login limit uses too (:mod:`crmkit.core.attempts`, kind ``lead-form``):
every submission counts, since a bot's are all equally unwanted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from attrs import frozen

from crmkit.core.actors import Actor
from crmkit.core.attempts import Budget, Limit, client_key, take_attempt
from crmkit.core.consent import record_consent
from crmkit.core.entities import Interaction
from crmkit.core.errors import ValidationError
from crmkit.core.intake.findings import hard
from crmkit.core.intake.pipeline import IntakeResult, take_in
from crmkit.core.interactions import log_interaction
from crmkit.core.tables import utcnow

if TYPE_CHECKING:
    from crmkit.app import Crm
    from crmkit.core.db import Transaction

SOURCE = "web-form"
WEB_FORM = Actor(user_id=None, username="web-form", role="system")
"""Who takes a web enquiry in: the system, named so that the audit trail says where it came from."""
HONEYPOT = "website"
"""A field people never see; only a bot fills it in."""
LIMIT_KIND = "lead-form"
FORM_LIMIT = Limit(attempts=10, window=timedelta(minutes=15))
"""Submissions per client address."""
CONFIRM_PATH = "/forms/consent/confirm"
MARKETING = "marketing"

TEXT_FIELDS: dict[str, int] = {
    "first_name": 150,
    "last_name": 150,
    "organisation": 300,
    "email": 320,
    "phone": 50,
    "postcode": 20,
    "city": 200,
    "country": 2,
    "message": 10_000,
}
FIELDS = frozenset({*TEXT_FIELDS, "marketing_consent", HONEYPOT})
TICKED = frozenset({"on", "true", "yes", "1"})
UNTICKED = frozenset({"", "off", "false", "no", "0"})
PIPELINE_FIELDS = {
    "emails": "email",
    "phones": "phone",
    "organisation_name": "organisation",
    "addresses": "postcode",
}
"""The form's name of a field the pipeline names in its own terms."""


@frozen
class Enquiry:
    """What a visitor sent through the lead form, checked for shape (the pipeline judges content)."""

    first_name: str | None = None
    last_name: str | None = None
    organisation: str | None = None
    email: str | None = None
    phone: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    message: str | None = None
    marketing_consent: bool = False


def _consent_given(value: Any) -> bool:
    # A ticked checkbox sends "on", an unticked one nothing; JSON sends a boolean.
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in TICKED | UNTICKED:
        return value.lower() in TICKED
    raise ValidationError("marketing_consent", "expected true or false")


def read_enquiry(data: Mapping[str, Any]) -> Enquiry:
    """An :class:`Enquiry` from the form's or a JSON body's fields; raises naming the field."""
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    values: dict[str, Any] = {}
    for name, limit in TEXT_FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValidationError(name, "expected text")
        if "\x00" in value:  # a url-encoded form can carry it; PostgreSQL cannot store it
            raise ValidationError(name, "text may not contain NUL characters")
        if len(value) > limit:
            raise ValidationError(name, f"longer than {limit} characters")
        values[name] = value.strip() or None
    if not (values.get("email") or values.get("phone")):
        raise ValidationError("email", "give an email address or a phone number to reach you")
    values["marketing_consent"] = _consent_given(data.get("marketing_consent"))
    if values["marketing_consent"] and not values.get("email"):
        raise ValidationError("email", "marketing by email needs an email address")
    return Enquiry(**values)


def is_bot(data: Mapping[str, Any]) -> bool:
    """Whether the honeypot field was filled in."""
    value = data.get(HONEYPOT)
    return value is not None and value != ""


def prospect_data(enquiry: Enquiry) -> dict[str, Any]:
    """The enquiry in the terms of the intake pipeline."""
    data: dict[str, Any] = {
        "first_name": enquiry.first_name,
        "last_name": enquiry.last_name,
        "emails": [enquiry.email] if enquiry.email else [],
        "phones": [enquiry.phone] if enquiry.phone else [],
    }
    if enquiry.organisation:
        data["organisation_name"] = enquiry.organisation
        if not (enquiry.first_name or enquiry.last_name):
            data["kind"] = "organisation"
    if enquiry.postcode or enquiry.city:
        data["addresses"] = [
            {"postcode": enquiry.postcode, "city": enquiry.city, "country": enquiry.country}
        ]
    return data


def form_field(pipeline_field: str | None) -> str:
    """The form field a pipeline field (``emails[0]``, ``addresses[0].city``) stands for."""
    if not pipeline_field:
        return "email"
    head, _, rest = pipeline_field.partition(".")
    head = head.split("[", 1)[0]
    if rest in TEXT_FIELDS:
        return rest
    return PIPELINE_FIELDS.get(head, head)


# --- The limit per client address.


def take_submission(crm: Crm, address: str, now: datetime | None = None) -> int | None:
    """Count a submission of ``address``; when it has used its budget, the seconds to wait."""
    with crm.transaction(WEB_FORM) as tx:
        budget = Budget(LIMIT_KIND, client_key(address), FORM_LIMIT)
        return take_attempt(tx, [budget], now or utcnow())


# --- Taking the enquiry in.


def _request_marketing_consent(
    tx: Transaction, party_id: int, email: str, address: str, now: datetime
) -> None:
    evidence = f"ticked the marketing box of the web form from {address} at {now.isoformat()}"
    _, token = record_consent(
        tx, party_id, MARKETING, "email", "pending", source=SOURCE, evidence=evidence
    )
    tx.emit(
        "core.consent_requested",
        "prospect",
        party_id,
        {
            "party_id": party_id,
            "purpose": MARKETING,
            "channel": "email",
            "email": email,
            "confirm_path": f"{CONFIRM_PATH}?{urlencode({'token': token})}",
        },
    )


def submit_enquiry(crm: Crm, enquiry: Enquiry, *, address: str) -> IntakeResult:
    """Take the enquiry in (pipeline, message, consent request) in one transaction.

    A hard finding of the sanity check raises :class:`ValidationError` naming the
    form field, and nothing is stored.
    """
    now = utcnow()
    with crm.transaction(WEB_FORM) as tx:
        result = take_in(
            tx,
            prospect_data(enquiry),
            source=SOURCE,
            region=crm.settings.default_region,
            settings=crm.settings.intake,
            vouched=False,
        )
        if result.party_id is None:
            first = hard(result.findings)[0]
            raise ValidationError(form_field(first.field), first.message)
        if enquiry.message:
            message = Interaction(
                party_id=result.party_id,
                channel="web-form",
                direction="inbound",
                occurred_at=now,
                subject="Enquiry from the web form",
                summary=enquiry.message,
                source=SOURCE,
            )
            log_interaction(tx, message)
        if enquiry.marketing_consent and enquiry.email:
            _request_marketing_consent(tx, result.party_id, enquiry.email, address, now)
    return result
