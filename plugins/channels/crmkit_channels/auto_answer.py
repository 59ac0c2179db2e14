"""Auto-answers to inbound email: the first matching rule's template, sent once, never to a machine.

An answer is decided in the transaction that records the message ``routed``
(:mod:`crmkit_channels.mail_routing`), and the decision is a row keyed by the
message: a message routed again after a crash finds it and is not answered twice,
and two routers racing on one message cannot both commit one.

The loop guard (RFC 3834) comes before any rule: no answer to a message with
``Auto-Submitted`` other than ``no``, ``Precedence: bulk``/``junk``/``list``, a
``List-Id``, a null envelope sender, or a sender that is one of our own addresses;
and at most ``max_per_sender_per_day`` answers to one address. The answer says
``Auto-Submitted: auto-replied`` so that the other side's machine stays quiet too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from fnmatch import fnmatchcase
from typing import Any
from zoneinfo import ZoneInfo

from attrs import frozen
from sqlalchemy import bindparam, func, insert, select

from crmkit import CrmError, Transaction, utcnow
from crmkit_channels.auto_answer_settings import AutoAnswerRule, AutoAnswerSettings, parse_span
from crmkit_channels.auto_answer_tables import auto_answer
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_parsing import BULK, MESSAGE_ID
from crmkit_channels.outbox import EmailMessage, send
from crmkit_channels.settings import ChannelsSettings

log = logging.getLogger(__name__)

PURPOSE = "auto_answer"
ANSWERED = "answered"
DAY = timedelta(days=1)


@frozen
class Inbound:
    """What the rules look at in one stored message."""

    sender: str | None
    envelope_from: str
    subject: str
    text: str
    received_at: datetime
    headers: Message
    first_contact: bool


def _within(span: str | None, moment: time) -> bool:
    if span is None:
        return False
    start, end = parse_span(span)
    return start <= moment and (end is None or moment < end)


def _header(headers: Message, name: str) -> str:
    try:
        return str(headers.get(name) or "").strip()
    except Exception:  # a header the parser cannot read counts as present, not as absent
        return "?"


def machine_sent(message: Inbound, own: frozenset[str], own_domains: frozenset[str]) -> str | None:
    """Why ``message`` must not be answered by a machine, or None."""
    submitted = _header(message.headers, "Auto-Submitted").lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted[:50]}"
    precedence = _header(message.headers, "Precedence").lower()
    if precedence in BULK:
        return f"Precedence: {precedence}"
    if _header(message.headers, "List-Id"):
        return "a mailing list's message (List-Id)"
    if not message.envelope_from:
        return "the null sender (a bounce or a notice)"
    if message.sender is None:
        return "no sender address"
    address = message.sender.lower()
    if address in own or address.rpartition("@")[2] in own_domains:
        return "sent from one of our own addresses"
    return None


def matches(rule: AutoAnswerRule, settings: AutoAnswerSettings, message: Inbound) -> bool:
    """Whether every condition of ``rule`` holds for ``message``."""
    if rule.sender is not None and not fnmatchcase(
        (message.sender or "").lower(), rule.sender.lower()
    ):
        return False
    subject, text = message.subject.lower(), message.text.lower()
    if rule.subject_keywords and not any(k.lower() in subject for k in rule.subject_keywords):
        return False
    if rule.body_keywords and not any(k.lower() in text for k in rule.body_keywords):
        return False
    local = message.received_at.astimezone(ZoneInfo(settings.timezone))
    if rule.hours != "any":
        working = _within(settings.working_hours.of(local.weekday()), local.time())
        if working != (rule.hours == "working"):
            return False
    if rule.between is not None and not _within(rule.between, local.time()):
        return False
    return rule.first_contact is None or rule.first_contact == message.first_contact


# Built once: every routed message runs them.
_MESSAGE = select(inbound_email).where(inbound_email.c.id == bindparam("inbound_id"))
_EARLIER = (
    select(inbound_email.c.id)
    .where(
        inbound_email.c.party_id == bindparam("party_id"), inbound_email.c.id < bindparam("before")
    )
    .limit(1)
)
_ANSWERED_SINCE = (
    select(func.count())
    .select_from(auto_answer)
    .where(
        auto_answer.c.sender == bindparam("sender"),
        auto_answer.c.outcome == ANSWERED,
        auto_answer.c.decided_at > bindparam("since"),
    )
)
_DECIDED = select(auto_answer.c.id).where(
    auto_answer.c.inbound_email_id == bindparam("inbound_email_id")
)
_DECISION = insert(auto_answer)


def _own_addresses(settings: ChannelsSettings) -> tuple[frozenset[str], frozenset[str]]:
    addresses = {parseaddr(settings.from_address)[1].lower()}
    if settings.unsubscribe_mailto:
        addresses.add(parseaddr(settings.unsubscribe_mailto)[1].lower())
    return frozenset(addresses - {""}), frozenset(settings.mail_in.domains)


def _inbound(tx: Transaction, row: Any) -> Inbound:
    earlier = (
        row.party_id is not None
        and tx.conn.execute(_EARLIER, {"party_id": row.party_id, "before": row.id}).first()
    )
    return Inbound(
        sender=row.sender,
        envelope_from=row.envelope_from,
        subject=row.subject,
        text=row.text,
        received_at=row.received_at,
        headers=BytesHeaderParser(policy=policy.compat32).parsebytes(row.raw),
        first_contact=not earlier,
    )


def _answered_today(tx: Transaction, sender: str) -> int:
    count: int = tx.conn.execute(
        _ANSWERED_SINCE, {"sender": sender, "since": utcnow() - DAY}
    ).scalar_one()
    return count


def _thread(message: Inbound) -> tuple[str, ...]:
    """The References of the answer: the message's own, then its Message-ID."""
    references = MESSAGE_ID.findall(_header(message.headers, "References"))
    own = MESSAGE_ID.findall(_header(message.headers, "Message-ID"))[:1]
    return tuple(dict.fromkeys([*references, *own]))


def _held_back(settings: ChannelsSettings, row: Any, message: Inbound) -> str | None:
    """Why the loop guard answers no message like this one, whatever would answer it; or None."""
    why_not = machine_sent(message, *_own_addresses(settings))
    if why_not is None and row.party_id is None:
        return "the sender is not a party"
    return why_not


def _within_limit(tx: Transaction, settings: ChannelsSettings, message: Inbound) -> str:
    """ANSWERED, or why the sender has had answers enough today."""
    assert message.sender is not None  # machine_sent refused a message without one
    limit = settings.auto_answer.max_per_sender_per_day
    if _answered_today(tx, message.sender.lower()) >= limit:
        return f"already answered {limit} times today"
    return ANSWERED


def _decide(
    tx: Transaction, settings: ChannelsSettings, row: Any
) -> tuple[AutoAnswerRule | None, str, Inbound]:
    message = _inbound(tx, row)
    why_not = _held_back(settings, row, message)
    if why_not is not None:
        return None, why_not, message
    rules = settings.auto_answer
    rule = next((r for r in rules.rules if matches(r, rules, message)), None)
    if rule is None:
        return None, "no rule matched", message
    return rule, _within_limit(tx, settings, message), message


def _decided(tx: Transaction, inbound_id: int) -> bool:
    return tx.conn.execute(_DECIDED, {"inbound_email_id": inbound_id}).first() is not None


def _send_and_record(
    tx: Transaction, row: Any, rule: str | None, outcome: str, answer: EmailMessage | None
) -> int | None:
    """Queue ``answer`` when ``outcome`` says so, and keep the decision: the message's one row."""
    email_id = None
    if outcome == ANSWERED and answer is not None:
        try:
            with tx.conn.begin_nested():
                email_id = send(tx, answer).id
        except CrmError as exc:
            log.warning("auto-answer %r to inbound email %s failed: %s", rule, row.id, exc)
            outcome = f"not sent: {exc.message}"[:200]
    tx.conn.execute(
        _DECISION,
        {
            "inbound_email_id": row.id,
            "sender": row.sender.lower() if row.sender else None,
            "rule": rule,
            "email_id": email_id,
            "outcome": outcome[:200],
            "decided_at": utcnow(),
        },
    )
    return email_id


def _answer_to(row: Any, message: Inbound, **content: Any) -> EmailMessage:
    return EmailMessage(
        row.party_id,
        PURPOSE,
        transactional=True,
        to=row.sender,
        references=_thread(message),
        auto_submitted="auto-replied",
        **content,
    )


def answer(tx: Transaction, inbound_id: int) -> None:
    """Decide, in ``tx``, whether inbound email ``inbound_id`` gets an auto-answer, and queue it.

    Does nothing when no rules are configured or the message was decided before.
    """
    settings: ChannelsSettings = tx.app.settings_of["channels"]
    if not settings.auto_answer.rules or _decided(tx, inbound_id):
        return
    row = tx.conn.execute(_MESSAGE, {"inbound_id": inbound_id}).one()
    rule, outcome, message = _decide(tx, settings, row)
    content = (
        None
        if rule is None
        else _answer_to(
            row,
            message,
            template=rule.template,
            variables={"subject": row.subject, "sender_name": row.sender_name or ""},
        )
    )
    _send_and_record(tx, row, rule.name if rule else None, outcome, content)


def answer_inbound(
    tx: Transaction,
    inbound_id: int,
    rule: str,
    *,
    subject: str,
    text: str,
    variables: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
) -> int | None:
    """Answer inbound email ``inbound_id`` with a message of the caller's (``subject`` and
    ``text`` are templates, given ``variables``), as the auto-answer rules answer: once per
    message, never to a machine or one of our own addresses, within the daily limit per
    sender, threaded, ``Auto-Submitted: auto-replied``. ``rule`` names the decision (e.g.
    ``service.acknowledgement``). Returns the queued email's id, or None when the loop
    guard held it back or the message was decided before (then the rules do not answer it
    either).

    ``variables`` may be a function returning them, called only when the answer goes out:
    for variables that cost work (a search) that a held-back answer need not do.
    """
    if _decided(tx, inbound_id):
        return None
    settings: ChannelsSettings = tx.app.settings_of["channels"]
    row = tx.conn.execute(_MESSAGE, {"inbound_id": inbound_id}).one()
    message = _inbound(tx, row)
    outcome = _held_back(settings, row, message) or _within_limit(tx, settings, message)
    content = None
    if outcome == ANSWERED:
        given = variables() if callable(variables) else variables
        content = _answer_to(
            row,
            message,
            subject=subject,
            text=text,
            variables={
                "subject": row.subject,
                "sender_name": row.sender_name or "",
                **(given or {}),
            },
        )
    return _send_and_record(tx, row, rule[:100], outcome, content)
