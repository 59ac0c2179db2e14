"""The send interface: ``send(tx, message)`` records an email or an SMS in the outbox of the caller's transaction.

Nothing leaves the CRM here: the message is rendered, checked and stored, and is
rolled back with the caller's transaction. The delivery jobs hand it to the relay
or the gateway after commit (see :mod:`crmkit_channels.delivery`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from email.utils import parseaddr
from itertools import groupby
from operator import itemgetter
from typing import Any, overload

from attrs import field, frozen
from sqlalchemy import Connection, insert

from crmkit import (
    ConfigurationError,
    EmailAddress,
    NotFound,
    Transaction,
    ValidationError,
    load_parties,
    require,
    sees_every_party,
    utcnow,
)
from crmkit_channels import timeline
from crmkit_channels.gate import why_not_sent_each
from crmkit_channels.links import unsubscribe_headers, unsubscribe_url
from crmkit_channels.mail_parsing import MESSAGE_ID
from crmkit_channels.messages import check_purpose_and_variables, party_variables, settings_of
from crmkit_channels.outboxes import EMAIL
from crmkit_channels.rendering import build_mime, new_message_id, render
from crmkit_channels.settings import ChannelsSettings
from crmkit_channels.signing import dkim_signed
from crmkit_channels.sms_outbox import SmsMessage, SmsOutbound, queue_sms
from crmkit_channels.stored_templates import stored_email
from crmkit_channels.subject_tokens import new_tokens, with_token
from crmkit_channels.tables import email
from crmkit_channels.tracking_links import with_tracking
from crmkit_channels.transports import ChannelMessage, ChannelOutbound, queue_message

KEYWORD = re.compile(r"[a-z][a-z0-9-]{0,49}")
RESERVED = frozenset({"party", "unsubscribe_url"})
"""The variables every email template is given, which a message's own may not replace."""
_INSERT_EMAILS = insert(email).returning(email.c.id, sort_by_parameter_order=True)
"""Built once: executing the same statement again skips SQLAlchemy's statement building."""


@frozen
class EmailMessage:
    """An email to one party: a named template, or a subject and text (and HTML) of its own.

    ``purpose`` names the consent it needs (``newsletter``, ``marketing``); a
    ``transactional`` email (an order confirmation, a password reset) needs none
    and carries no unsubscribe headers. ``variables`` are the recipient's own,
    beside ``party``. ``to`` overrides the party's first email address.
    """

    party_id: int
    purpose: str
    template: str | None = None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    variables: Mapping[str, Any] = field(factory=dict)
    transactional: bool = False
    to: str | None = None
    references: tuple[str, ...] = ()
    """The thread it answers, Message-IDs oldest first and the answered one last: sets
    ``References``, and ``In-Reply-To`` to the last."""
    auto_submitted: str | None = None
    """``Auto-Submitted`` (RFC 3834): ``auto-replied`` on a machine's answer, so no machine answers it."""
    track_clicks: bool = True
    """False for an email whose links are secrets of the recipient (a personal survey link):
    they are then not rewritten into click redirects, which would record them. Opens are still
    counted."""


@frozen
class Outbound:
    """An email as the outbox holds it."""

    id: int
    party_id: int
    status: str
    message_id: str
    recipient: str
    subject: str


def _sources(
    conn: Connection, settings: ChannelsSettings, message: EmailMessage
) -> tuple[str, str, str | None]:
    """The templates of the subject, text and HTML (None: text only): the settings' win by name."""
    if message.template is not None:
        if message.subject is not None or message.text is not None or message.html is not None:
            raise ValidationError("template", "give a template or a subject and text, not both")
        found = settings.template(message.template)
        if found is None:
            stored = stored_email(conn, message.template)
            if stored is not None:
                return stored
            known = ", ".join(sorted(t.name for t in settings.templates)) or "none"
            raise ValidationError(
                "template", f"no template named {message.template!r} (known: {known})"
            )
        return found.subject, found.text, found.html
    if not message.subject or not message.text:
        raise ValidationError("subject", "expected a template, or a subject and a text")
    return message.subject, message.text, message.html


@overload
def send(tx: Transaction, message: EmailMessage) -> Outbound: ...


@overload
def send(tx: Transaction, message: SmsMessage) -> SmsOutbound: ...


@overload
def send(tx: Transaction, message: ChannelMessage) -> ChannelOutbound: ...


def send(
    tx: Transaction, message: EmailMessage | SmsMessage | ChannelMessage
) -> Outbound | SmsOutbound | ChannelOutbound:
    """Record ``message`` in its channel's outbox, in ``tx``; a delivery job sends it after commit.

    The actor needs ``core:party.read`` on the party. A non-transactional message
    to a party without consent for its purpose on the message's channel is
    recorded ``suppressed`` (on the party's timeline too) and never sent. Raises
    ValidationError naming the field for an unknown template, one that does not
    render, a header value with a line break, a party without an email address
    or phone number, an SMS over the segment limit; ConfigurationError naming the
    setting for what the settings lack.
    """
    if isinstance(message, SmsMessage):
        return queue_sms(tx, message)
    if isinstance(message, ChannelMessage):
        return queue_message(tx, message)
    [outbound] = _queue_emails(tx, [message])
    return outbound


CHUNK = 1000
"""Messages handled together by :func:`send_many`: bounds its queries' parameters and its memory."""


def send_many(
    tx: Transaction, messages: Sequence[EmailMessage | SmsMessage]
) -> list[Outbound | SmsOutbound]:
    """:func:`send` for each of ``messages`` in ``tx``, their outcomes in the same order.

    The rows stored are those :func:`send` stores, one message after another; the emails
    are checked and stored a chunk at a time (one party load, one consent and suppression
    look-up, one insert for the chunk). For a campaign's batch: one refused message
    (ValidationError, NotFound, PermissionDenied) refuses the batch, and the caller's
    transaction stores none of it.
    """
    outcomes: list[Outbound | SmsOutbound | None] = [None] * len(messages)
    emails = [(i, m) for i, m in enumerate(messages) if isinstance(m, EmailMessage)]
    for start in range(0, len(emails), CHUNK):
        chunk = emails[start : start + CHUNK]
        for (i, _), outbound in zip(chunk, _queue_emails(tx, [m for _, m in chunk]), strict=True):
            outcomes[i] = outbound
    for i, message in enumerate(messages):
        if isinstance(message, SmsMessage):
            outcomes[i] = queue_sms(tx, message)
    return [o for o in outcomes if o is not None]


@frozen
class _Rendered:
    """One email rendered, before the outbox checks whether it may go."""

    message: EmailMessage
    recipient: str
    subject: str
    message_id: str
    raw: str
    token: str | None


def _queue_emails(tx: Transaction, messages: Sequence[EmailMessage]) -> list[Outbound]:
    """Render, check and store ``messages``, in a few statements for them all."""
    for message in messages:
        check_purpose_and_variables(message.purpose, message.variables, RESERVED)
    settings = settings_of(tx)
    if not settings.from_address:
        raise ConfigurationError("plugins.channels.from_address", "set the From of the emails")
    parties = _readable_parties(tx, [m.party_id for m in messages])
    sources: dict[tuple[str | None, ...], tuple[str, str, str | None]] = {}
    tokens = iter(new_tokens(tx.conn, len(messages)) if settings.subject_token else ())
    domain = parseaddr(settings.from_address)[1].rpartition("@")[2]
    rendered = []
    for message in messages:
        key = (message.template, message.subject, message.text, message.html)
        if key not in sources:
            sources[key] = _sources(tx.conn, settings, message)
        party = parties[message.party_id]
        rendered.append(_render(settings, message, party, sources[key], next(tokens, None), domain))
    reasons = why_not_sent_each(tx.conn, EMAIL, [_Addressed(r) for r in rendered])
    now = utcnow()
    rows = [_row(tx, r, reason, now) for r, reason in zip(rendered, reasons, strict=True)]
    ids = tx.conn.execute(_INSERT_EMAILS, rows).scalars().all()
    outbounds = [
        Outbound(email_id, r.message.party_id, row["status"], r.message_id, r.recipient, r.subject)
        for email_id, r, row in zip(ids, rendered, rows, strict=True)
    ]
    # The suppressed ones on the timeline in their order, those of one reason together.
    for reason, run in groupby(zip(outbounds, reasons, strict=True), key=itemgetter(1)):
        if reason is not None:
            timeline.record_each(tx, EMAIL, [o for o, _ in run], "suppressed", reason)
    return outbounds


def _readable_parties(tx: Transaction, party_ids: Sequence[int]) -> dict[int, Any]:
    """The parties by id; NotFound for one that does not exist, PermissionDenied for one
    ``tx.actor`` may not read (the first such in ``party_ids``, as :func:`send` one by one)."""
    unique = list(dict.fromkeys(party_ids))
    parties = load_parties(tx.conn, unique)
    # No record rule hides a party from this actor: its role's grant decides for every party,
    # so one check stands for them all (a query per party otherwise).
    every = sees_every_party(tx.hooks, tx.actor)
    for number, party_id in enumerate(unique):
        party = parties.get(party_id)
        if party is None:
            raise NotFound(f"party {party_id} does not exist")
        if number == 0 or not every:
            require(tx.hooks, tx.actor, "core:party.read", party, conn=tx.conn)
    return parties


def _render(
    settings: ChannelsSettings,
    message: EmailMessage,
    party: Any,
    sources: tuple[str, str, str | None],
    token: str | None,
    domain: str,
) -> _Rendered:
    """The email as it will be sent: its templates rendered for ``party``, tracked, in MIME."""
    subject_source, text_source, html_source = sources
    recipient = _recipient(party, message.to)
    variables = {**message.variables, "party": party_variables(party, email=recipient)}
    extra: dict[str, str] = {}
    if not message.transactional:
        link = unsubscribe_url(settings, message.party_id, message.purpose)
        variables["unsubscribe_url"] = link
        extra = unsubscribe_headers(settings, link)
    extra.update(_reply_headers(message))
    subject = render("subject", subject_source, variables)
    if token is not None:
        subject = with_token(subject, token)
    text = render("text", text_source, variables)
    html = None if html_source is None else render("html", html_source, variables, html=True)
    message_id = new_message_id(domain)
    if not message.transactional:
        text, html = with_tracking(settings, message_id, text, html, clicks=message.track_clicks)
    raw = build_mime(
        sender=settings.from_address,
        recipient=recipient,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
        extra_headers=extra,
    )
    if settings.dkim is not None:
        raw = dkim_signed(settings.dkim, raw)
    return _Rendered(message, recipient, subject, message_id, raw, token)


@frozen
class _Addressed:
    """What the gate asks of a rendered email."""

    rendered: _Rendered

    @property
    def party_id(self) -> int:
        return self.rendered.message.party_id

    @property
    def purpose(self) -> str:
        return self.rendered.message.purpose

    @property
    def transactional(self) -> bool:
        return self.rendered.message.transactional

    @property
    def recipient(self) -> str:
        return self.rendered.recipient


def _row(tx: Transaction, rendered: _Rendered, reason: str | None, now: Any) -> dict[str, Any]:
    message = rendered.message
    allowed = reason is None
    return {
        "party_id": message.party_id,
        "purpose": message.purpose,
        "transactional": message.transactional,
        "template": message.template,
        "recipient": rendered.recipient,
        "subject": rendered.subject,
        "message_id": rendered.message_id,
        "raw": rendered.raw,
        "variables": dict(message.variables),
        "status": "queued" if allowed else "suppressed",
        "attempts": 0,
        "next_attempt_at": now if allowed else None,
        "last_error": reason,
        "created_by": tx.actor.username,
        "created_at": now,
        "finished_at": None if allowed else now,
        "subject_token": rendered.token,
    }


def _reply_headers(message: EmailMessage) -> dict[str, str]:
    headers = {}
    if not all(MESSAGE_ID.fullmatch(r) for r in message.references):
        raise ValidationError("references", "expected Message-IDs such as <id@example.org>")
    if message.auto_submitted is not None and not KEYWORD.fullmatch(message.auto_submitted):
        raise ValidationError("auto_submitted", "expected a keyword such as auto-replied")
    if message.references:
        headers["In-Reply-To"] = message.references[-1]
        headers["References"] = " ".join(message.references)
    if message.auto_submitted is not None:
        headers["Auto-Submitted"] = message.auto_submitted
    return headers


def _recipient(party: Any, given: str | None) -> str:
    if given is not None:
        return EmailAddress.parse(given, field_name="to").original
    if not party.emails:
        raise ValidationError("party_id", f"party {party.id} has no email address")
    return str(party.emails[0].original)
