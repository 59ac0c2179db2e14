"""A template rendered for a real party, as it would be sent, without sending or storing anything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen
from sqlalchemy import Connection

from crmkit import Actor, ValidationError, require, seen_party
from crmkit_channels.messages import party_variables
from crmkit_channels.rendering import render
from crmkit_channels.segments import count_segments
from crmkit_channels.stored_templates import TEMPLATE_READ, StoredTemplate

UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/preview"
"""Where the preview's unsubscribe link points: a real one is signed per message when it is sent."""


@frozen
class Preview:
    """What the party would receive: an email's subject, text and HTML, or an SMS's body and segments.

    ``html`` is the rendered HTML as text: show it escaped, or in a sandboxed frame.
    """

    channel: str
    recipient: str | None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    body: str | None = None
    encoding: str | None = None
    segments: int | None = None


def preview(
    host: Any,
    conn: Connection,
    actor: Actor,
    template: StoredTemplate,
    party_id: int,
    variables: Mapping[str, Any],
) -> Preview:
    """``template`` rendered for ``party_id`` with ``variables``.

    Needs ``channels:template.read``; NotFound for a party the actor may not see;
    ValidationError naming the field whose template does not render (a variable
    not given, for one).
    """
    require(host, actor, TEMPLATE_READ.name)
    if not isinstance(variables, Mapping):
        raise ValidationError("variables", "expected an object")
    if "party" in variables:
        raise ValidationError("variables", "expected an object without the key party")
    party = seen_party(host, conn, actor, party_id)
    if template.channel == "sms":
        phone = str(party.phones[0].e164) if party.phones else None
        given = {**variables, "party": party_variables(party, phone=phone or "")}
        body = render("body", template.body or "", given)
        segments = count_segments(body)
        return Preview("sms", phone, body=body, encoding=segments.encoding, segments=segments.count)
    address = str(party.emails[0].original) if party.emails else None
    given = {
        **variables,
        "party": party_variables(party, email=address or ""),
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
    }
    subject = render("subject", template.subject or "", given)
    text = render("text", template.text or "", given)
    html = None if template.html is None else render("html", template.html, given, html=True)
    return Preview("email", address, subject=subject, text=text, html=html)
