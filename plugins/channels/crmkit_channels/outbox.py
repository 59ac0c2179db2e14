"""The send interface: ``send(tx, message)`` records an email or an SMS in the outbox of the caller's transaction.

Nothing leaves the CRM here: the message is rendered, checked and stored, and is
rolled back with the caller's transaction. The delivery jobs hand it to the relay
or the gateway after commit (see :mod:`crmkit_channels.delivery`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from email.utils import parseaddr
from itertools import groupby
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, overload

from attrs import evolve, field, frozen
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crmkit import (
    ConfigurationError,
    EmailAddress,
    NotFound,
    Transaction,
    ValidationError,
    allocate_ids,
    bulk_insert,
    contact_point_table,
    load_parties,
    party_table,
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
from crmkit_channels.tables import email, email_body
from crmkit_channels.tracking_links import with_tracking
from crmkit_channels.transports import ChannelMessage, ChannelOutbound, queue_message

KEYWORD = re.compile(r"[a-z][a-z0-9-]{0,49}")
RESERVED = frozenset({"party", "unsubscribe_url"})
"""The variables every email template is given, which a message's own may not replace."""
_WAITING = select(
    email.c.id,
    email.c.party_id,
    email.c.purpose,
    email.c.transactional,
    email.c.recipient,
    email.c.message_id,
    email.c.subject_token,
    email.c.variables,
    email.c.pending,
).where(email.c.id.in_(bindparam("ids", expanding=True)), email.c.raw.is_(None))
_RENDERED = (
    update(email)
    .where(email.c.id == bindparam("email_id"), email.c.raw.is_(None))
    .values(subject=bindparam("new_subject"), raw=bindparam("new_raw"), pending=None)
)
_EXISTING = select(party_table.c.id).where(party_table.c.id.in_(bindparam("ids", expanding=True)))
_EMAILS = (
    select(contact_point_table.c.party_id, contact_point_table.c.value)
    .where(
        contact_point_table.c.party_id.in_(bindparam("ids", expanding=True)),
        contact_point_table.c.kind == "email",
    )
    .order_by(contact_point_table.c.party_id, contact_point_table.c.position)
)
_UPSERT: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


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
    subject: str | None
    """None while the email waits to be rendered at delivery (see :func:`send_many`)."""


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

    The emails are checked and stored a chunk at a time (one read of their addresses, one
    consent and suppression look-up, one insert for the chunk). The first email of each body in a
    chunk is rendered at once, as :func:`send` renders its one; the others of that body
    wait in the outbox and are rendered by the delivery job just before they go (their
    ``subject`` is None until then), so that queueing a campaign costs what storing its
    rows costs. One that does not render then (its party's data changed since) is
    ``failed``, with why. For a campaign's batch: one refused message (ValidationError,
    NotFound, PermissionDenied) refuses the batch, and the caller's transaction stores
    none of it.
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
class _Addressed:
    """An email with its recipient and ids, before the gate says whether it may go."""

    message: EmailMessage
    recipient: str
    message_id: str
    token: str | None

    @property
    def party_id(self) -> int:
        return self.message.party_id

    @property
    def purpose(self) -> str:
        return self.message.purpose

    @property
    def transactional(self) -> bool:
        return self.message.transactional


def _queue_emails(tx: Transaction, messages: Sequence[EmailMessage]) -> list[Outbound]:
    """Check and store ``messages``, in a few statements for them all.

    The first message of each body is rendered at once, which checks its templates (and
    one refused refuses them all); the others of that body wait in the outbox unrendered
    (``pending``) and are rendered by the delivery job, just before they are handed over.
    A suppressed message is rendered at once: it is never delivered, and its subject goes
    on the timeline.
    """
    for message in messages:
        check_purpose_and_variables(message.purpose, message.variables, RESERVED)
        _reply_headers(message)
    settings = settings_of(tx)
    if not settings.from_address:
        raise ConfigurationError("plugins.channels.from_address", "set the From of the emails")
    party_ids = [m.party_id for m in messages]
    parties = _readable_parties(tx, party_ids)
    first_emails = _first_emails(tx.conn, party_ids)
    tokens = iter(new_tokens(tx.conn, len(messages)) if settings.subject_token else ())
    domain = parseaddr(settings.from_address)[1].rpartition("@")[2]
    addressed = [
        _Addressed(m, _recipient(m, first_emails), new_message_id(domain), next(tokens, None))
        for m in messages
    ]
    reasons = why_not_sent_each(tx.conn, EMAIL, addressed)
    keys = [_body_key(a.message) for a in addressed]
    sources: dict[tuple[str | None, ...], tuple[str, str, str | None]] = {}
    rendered_now = []
    for number, (a, key, reason) in enumerate(zip(addressed, keys, reasons, strict=True)):
        if key not in sources:
            sources[key] = _sources(tx.conn, settings, a.message)
            rendered_now.append(number)
        elif reason is not None:
            rendered_now.append(number)
    unread = {addressed[n].party_id for n in rendered_now} - parties.keys()
    parties.update(load_parties(tx.conn, list(unread)))
    rendered = {}
    for n in rendered_now:
        a = addressed[n]
        rendered[n] = _render(settings, _as_stored(a), parties[a.party_id], sources[keys[n]])
    bodies: dict[tuple[str | None, ...], int] = {}
    now = utcnow()
    rows = []
    for number, (a, key, reason) in enumerate(zip(addressed, keys, reasons, strict=True)):
        if number in rendered:
            subject, raw = rendered[number]
            rows.append(_row(tx, a, subject, raw, reason, now, None))
            continue
        if key not in bodies:
            bodies[key] = _body_id(tx.conn, sources[key])
        rows.append(_row(tx, a, None, None, reason, now, _pending(a.message, bodies[key])))
    ids = allocate_ids(tx.conn, email, len(rows))
    for email_id, row in zip(ids, rows, strict=True):
        row["id"] = email_id
    bulk_insert(tx.conn, email, rows)
    outbounds = [
        Outbound(email_id, a.party_id, row["status"], a.message_id, a.recipient, row["subject"])
        for email_id, a, row in zip(ids, addressed, rows, strict=True)
    ]
    # The suppressed ones on the timeline in their order, those of one reason together.
    for reason, run in groupby(zip(outbounds, reasons, strict=True), key=itemgetter(1)):
        if reason is not None:
            timeline.record_each(tx, EMAIL, [o for o, _ in run], "suppressed", reason)
    return outbounds


def render_waiting(
    tx: Transaction, settings: ChannelsSettings, rows: Sequence[Any]
) -> tuple[list[Any], list[tuple[Any, str]]]:
    """The outbox ``rows`` about to be handed over, those that wait rendered now and stored so.

    Returns the rows ready to go (a rendered one with its ``subject`` and ``raw``) and those
    that did not render, with why. The party is read as it is now.
    """
    waiting = {row.id: row for row in rows if row.raw is None}
    if not waiting:
        return list(rows), []
    stored = tx.conn.execute(_WAITING, {"ids": list(waiting)}).all()
    parties = load_parties(tx.conn, list({row.party_id for row in stored}))
    bodies = _bodies(tx.conn, {row.pending["body"] for row in stored})
    done: dict[int, Any] = {}
    failed: list[tuple[Any, str]] = []
    updates = []
    for row in stored:
        message = _waiting_message(row, bodies[row.pending["body"]])
        a = _Addressed(message, row.recipient, row.message_id, row.subject_token)
        party = parties.get(row.party_id)
        if party is None:  # erased since it was leased: the cascade takes the email away
            failed.append((waiting[row.id], "not rendered: its party is gone"))
            continue
        try:
            subject, raw = _render(settings, a, party, _sources_of(message))
        except ValidationError as exc:
            failed.append((waiting[row.id], f"not rendered: {exc.field}: {exc.reason}"))
            continue
        # Whatever else one email's data makes rendering raise fails that email alone: left
        # to propagate, it would roll the batch back and stop it again at every lease.
        except Exception as exc:
            failed.append((waiting[row.id], f"not rendered: {type(exc).__name__}: {exc}"[:1000]))
            continue
        updates.append({"email_id": row.id, "new_subject": subject, "new_raw": raw})
        done[row.id] = SimpleNamespace(
            **{**waiting[row.id]._asdict(), "subject": subject, "raw": raw}
        )
    if updates:
        tx.conn.execute(_RENDERED, updates)
    refused = {row.id for row, _ in failed}
    return [done.get(row.id, row) for row in rows if row.id not in refused], failed


def _readable_parties(tx: Transaction, party_ids: Sequence[int]) -> dict[int, Any]:
    """The parties read to check them, by id: NotFound for one that does not exist,
    PermissionDenied for one ``tx.actor`` may not read (the first such in ``party_ids``, as
    :func:`send` one by one)."""
    unique = list(dict.fromkeys(party_ids))
    # No record rule hides a party from this actor: its role's grant decides for every party,
    # so one check stands for them all (a query per party otherwise), and the others need
    # not be read.
    every = sees_every_party(tx.hooks, tx.actor)
    parties = load_parties(tx.conn, unique[:1] if every else unique)
    found = set(tx.conn.execute(_EXISTING, {"ids": unique}).scalars()) if every else parties
    for number, party_id in enumerate(unique):
        if party_id not in found:
            raise NotFound(f"party {party_id} does not exist")
        if number == 0 or not every:
            require(tx.hooks, tx.actor, "core:party.read", parties[party_id], conn=tx.conn)
    return parties


def _first_emails(conn: Connection, party_ids: Sequence[int]) -> dict[int, str]:
    """Each party's first email address (as it was given), by party id."""
    first: dict[int, str] = {}
    for party_id, value in conn.execute(_EMAILS, {"ids": list(set(party_ids))}):
        first.setdefault(party_id, value)
    return first


def _body_key(message: EmailMessage) -> tuple[str | None, ...]:
    return message.template, message.subject, message.text, message.html


def _render(
    settings: ChannelsSettings,
    addressed: _Addressed,
    party: Any,
    sources: tuple[str, str, str | None],
) -> tuple[str, str]:
    """The email's subject, and the email as it will be sent: its templates rendered for
    ``party``, tracked, in MIME."""
    message = addressed.message
    subject_source, text_source, html_source = sources
    variables = {**message.variables, "party": party_variables(party, email=addressed.recipient)}
    extra: dict[str, str] = {}
    if not message.transactional:
        link = unsubscribe_url(settings, message.party_id, message.purpose)
        variables["unsubscribe_url"] = link
        extra = unsubscribe_headers(settings, link)
    extra.update(_reply_headers(message))
    subject = render("subject", subject_source, variables)
    if addressed.token is not None:
        subject = with_token(subject, addressed.token)
    text = render("text", text_source, variables)
    html = None if html_source is None else render("html", html_source, variables, html=True)
    message_id = addressed.message_id
    if not message.transactional:
        text, html = with_tracking(settings, message_id, text, html, clicks=message.track_clicks)
    raw = build_mime(
        sender=settings.from_address,
        recipient=addressed.recipient,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
        extra_headers=extra,
    )
    if settings.dkim is not None:
        raw = dkim_signed(settings.dkim, raw)
    return subject, raw


def _row(
    tx: Transaction,
    addressed: _Addressed,
    subject: str | None,
    raw: str | None,
    reason: str | None,
    now: Any,
    pending: dict[str, Any] | None,
) -> dict[str, Any]:
    message = addressed.message
    allowed = reason is None
    return {
        "party_id": message.party_id,
        "purpose": message.purpose,
        "transactional": message.transactional,
        "template": message.template,
        "recipient": addressed.recipient,
        "subject": subject,
        "message_id": addressed.message_id,
        "raw": raw,
        "variables": dict(message.variables),
        "pending": pending,
        "status": "queued" if allowed else "suppressed",
        "attempts": 0,
        "next_attempt_at": now if allowed else None,
        "last_error": reason,
        "created_by": tx.actor.username,
        "created_at": now,
        "finished_at": None if allowed else now,
        "subject_token": addressed.token,
    }


def _as_stored(addressed: _Addressed) -> _Addressed:
    """``addressed`` with its variables as the outbox stores them, in JSON, so that an email
    rendered now sees what one rendered at delivery sees (text keys, lists for tuples)."""
    variables = json.loads(json.dumps(addressed.message.variables))
    return evolve(addressed, message=evolve(addressed.message, variables=variables))


def _pending(message: EmailMessage, body_id: int) -> dict[str, Any]:
    """What rendering ``message`` at delivery needs beside its row: its body and its options
    (only those not at their defaults)."""
    pending: dict[str, Any] = {"body": body_id}
    if not message.track_clicks:
        pending["track_clicks"] = False
    if message.references:
        pending["references"] = list(message.references)
    if message.auto_submitted is not None:
        pending["auto_submitted"] = message.auto_submitted
    return pending


def _waiting_message(row: Any, body: Any) -> EmailMessage:
    """The message a waiting outbox row (with its ``variables`` and ``pending``) was queued from."""
    pending = row.pending
    return EmailMessage(
        row.party_id,
        row.purpose,
        subject=body.subject,
        text=body.text,
        html=body.html,
        variables=row.variables,
        transactional=row.transactional,
        references=tuple(pending.get("references", ())),
        auto_submitted=pending.get("auto_submitted"),
        track_clicks=pending.get("track_clicks", True),
    )


def _sources_of(message: EmailMessage) -> tuple[str, str, str | None]:
    assert message.subject is not None and message.text is not None
    return message.subject, message.text, message.html


def _body_id(conn: Connection, sources: tuple[str, str, str | None]) -> int:
    """The id of the stored body of ``sources``, stored now if it is new."""
    subject, text, html = sources
    digest = hashlib.sha256(json.dumps(sources).encode()).hexdigest()
    row = {"digest": digest, "subject": subject, "text": text, "html": html}
    # Two transactions storing the same body: the second finds the first's row.
    insert_new = _UPSERT[conn.dialect.name](email_body).values(row).on_conflict_do_nothing()
    conn.execute(insert_new)
    return int(
        conn.execute(select(email_body.c.id).where(email_body.c.digest == digest)).scalar_one()
    )


def _bodies(conn: Connection, ids: Collection[int]) -> dict[int, Any]:
    rows = conn.execute(select(email_body).where(email_body.c.id.in_(list(ids)))).all()
    return {row.id: row for row in rows}


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


def _recipient(message: EmailMessage, first_emails: Mapping[int, str]) -> str:
    if message.to is not None:
        return EmailAddress.parse(message.to, field_name="to").original
    if message.party_id not in first_emails:
        raise ValidationError("party_id", f"party {message.party_id} has no email address")
    return first_emails[message.party_id]
