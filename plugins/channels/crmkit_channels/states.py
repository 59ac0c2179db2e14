"""Delivery states of sent emails, per message and counted: what a campaign reports on.

:func:`delivery_states` is public (see the README, "Tracking"): the campaigns
plugin gives it the ids of the emails it sent, or a purpose, and gets each
email's state and the counts over them. :func:`sms_states` tells the same of text
messages, as far as the gateway reports it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import and_, or_, select

from crmkit import (
    Transaction,
    ValidationError,
    consents_of_parties,
    party_table,
    require,
    sees_every_party,
    visible,
)
from crmkit_channels.tables import email, sms
from crmkit_channels.tracking_tables import email_event

HANDED_OVER = ("sent", "bounced", "unknown")
UNSUBSCRIBE_SOURCES = ("unsubscribe-link", "one-click-unsubscribe")
COUNTED = (
    "messages",
    "queued",
    "sent",
    "delivered",
    "bounced",
    "soft_bounced",
    "failed",
    "suppressed",
    "opened",
    "clicked",
    "complained",
    "unsubscribed",
)


@frozen
class MessageState:
    """One email: its outbox status and what tracking saw of it."""

    email_id: int
    party_id: int
    purpose: str
    status: str
    """The outbox status: queued, sending, sent, bounced, failed, suppressed, unknown."""
    opens: int
    first_opened_at: datetime | None
    clicks: int
    first_clicked_at: datetime | None
    clicked_urls: tuple[str, ...]
    soft_bounces: int
    complained: bool
    unsubscribed: bool
    """The party withdrew this purpose's email consent by the email's link after it was sent."""

    @property
    def delivered(self) -> bool:
        """Sent and not bounced (mail servers confirm nothing else)."""
        return self.status == "sent"


@frozen
class DeliveryStates:
    """The selected emails' states, oldest first, and their counts (keys: ``COUNTED``)."""

    messages: tuple[MessageState, ...]
    counts: Mapping[str, int]


def _visible_parties(tx: Transaction) -> Any:
    roles = ("prospect", "customer")
    return select(party_table.c.id).where(
        or_(
            *(
                and_(party_table.c.role == r, visible(tx.hooks, tx.actor, r, party_table))
                for r in roles
            )
        )
    )


def delivery_states(
    tx: Transaction,
    *,
    email_ids: Collection[int] | None = None,
    purpose: str | None = None,
    template: str | None = None,
) -> DeliveryStates:
    """The states of the emails ``email_ids``, or of every email for ``purpose`` (and ``template``).

    Only emails to parties the actor may see count; the actor needs ``core:party.read``.
    ValidationError naming ``email_ids`` when neither selection is given.
    """
    require(tx.hooks, tx.actor, "core:party.read", conn=tx.conn)
    # Without a rule to keep (the system, an admin), no subquery: SQLite would scan every party.
    everyone = sees_every_party(tx.hooks, tx.actor)
    conditions: list[Any] = [] if everyone else [email.c.party_id.in_(_visible_parties(tx))]
    if email_ids is not None:
        conditions.append(email.c.id.in_(list(email_ids)))
    elif purpose is not None:
        conditions.append(email.c.purpose == purpose)
    else:
        raise ValidationError("email_ids", "give the ids of the emails, or a purpose")
    if template is not None:
        conditions.append(email.c.template == template)
    rows = tx.conn.execute(
        select(email.c.id, email.c.party_id, email.c.purpose, email.c.status, email.c.created_at)
        .where(*conditions)
        .order_by(email.c.id)
    ).all()
    events = _events(tx, [r.id for r in rows])
    unsubscribed_at = _unsubscribed(tx, {(r.party_id, r.purpose) for r in rows})
    messages = tuple(_state(r, events.get(r.id, []), unsubscribed_at) for r in rows)
    return DeliveryStates(messages, _counts(messages))


@frozen
class SmsState:
    """Where one text message is: ``queued``, ``sending``, ``sent`` (the gateway took it),
    ``delivered``, ``undelivered`` or ``failed`` (the carrier or the gateway gave up),
    ``suppressed`` (never sent) or ``unknown``."""

    sms_id: int
    party_id: int
    purpose: str
    status: str


def sms_states(tx: Transaction, sms_ids: Collection[int]) -> tuple[SmsState, ...]:
    """The states of the text messages ``sms_ids`` to parties the actor may see, by id.

    The actor needs ``core:party.read``; ids of other messages are left out.
    """
    require(tx.hooks, tx.actor, "core:party.read", conn=tx.conn)
    everyone = sees_every_party(tx.hooks, tx.actor)
    conditions: list[Any] = [] if everyone else [sms.c.party_id.in_(_visible_parties(tx))]
    ids = sorted(set(sms_ids))
    found: list[SmsState] = []
    for start in range(0, len(ids), 1000):  # bounded IN lists
        rows = tx.conn.execute(
            select(sms.c.id, sms.c.party_id, sms.c.purpose, sms.c.status)
            .where(sms.c.id.in_(ids[start : start + 1000]), *conditions)
            .order_by(sms.c.id)
        )
        found.extend(SmsState(r.id, r.party_id, r.purpose, r.status) for r in rows)
    return tuple(found)


def _events(tx: Transaction, ids: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for start in range(0, len(ids), 1000):  # bounded IN lists
        rows = tx.conn.execute(
            select(
                email_event.c.email_id,
                email_event.c.kind,
                email_event.c.detail,
                email_event.c.occurred_at,
            )
            .where(email_event.c.email_id.in_(ids[start : start + 1000]))
            .order_by(email_event.c.id)
        )
        for row in rows:
            found.setdefault(row.email_id, []).append(row)
    return found


def _unsubscribed(tx: Transaction, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], datetime]:
    """When each party withdrew each purpose by an unsubscribe link, if that is its consent now."""
    found: dict[tuple[int, str], datetime] = {}
    party_ids = sorted({p for p, _ in pairs})
    for start in range(0, len(party_ids), 1000):  # one query per bounded IN list
        by_party = consents_of_parties(tx.conn, party_ids[start : start + 1000])
        for party_id, stated in by_party.items():
            for c in stated:
                withdrawn = c.status == "withdrawn" and c.source in UNSUBSCRIBE_SOURCES
                if c.channel == "email" and withdrawn and (party_id, c.purpose) in pairs:
                    found[(party_id, c.purpose)] = c.recorded_at
    return found


def _state(
    row: Any, events: list[Any], unsubscribed_at: dict[tuple[int, str], datetime]
) -> MessageState:
    def of(kind: str) -> list[Any]:
        return [e for e in events if e.kind == kind]

    opens, clicks = of("open"), of("click")
    withdrawn = unsubscribed_at.get((row.party_id, row.purpose))
    return MessageState(
        email_id=row.id,
        party_id=row.party_id,
        purpose=row.purpose,
        status=row.status,
        opens=len(opens),
        first_opened_at=opens[0].occurred_at if opens else None,
        clicks=len(clicks),
        first_clicked_at=clicks[0].occurred_at if clicks else None,
        clicked_urls=tuple(dict.fromkeys(e.detail for e in clicks)),
        soft_bounces=len(of("soft_bounce")),
        complained=bool(of("complaint")),
        unsubscribed=withdrawn is not None and withdrawn >= row.created_at,
    )


def _counts(messages: tuple[MessageState, ...]) -> dict[str, int]:
    def count(test: Any) -> int:
        return sum(1 for m in messages if test(m))

    return {
        "messages": len(messages),
        "queued": count(lambda m: m.status in ("queued", "sending")),
        "sent": count(lambda m: m.status in HANDED_OVER),
        "delivered": count(lambda m: m.delivered),
        "bounced": count(lambda m: m.status == "bounced"),
        "soft_bounced": count(lambda m: m.soft_bounces > 0),
        "failed": count(lambda m: m.status == "failed"),
        "suppressed": count(lambda m: m.status == "suppressed"),
        "opened": count(lambda m: m.opens > 0),
        "clicked": count(lambda m: m.clicks > 0),
        "complained": count(lambda m: m.complained),
        "unsubscribed": count(lambda m: m.unsubscribed),
    }
