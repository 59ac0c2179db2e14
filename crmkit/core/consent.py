"""Consent per purpose and channel: what a party agreed to be contacted for, how, and on what evidence.

History is append-only: every statement is a new row and the latest one per
(purpose, channel) is in force. Double opt-in: a ``pending`` consent carries a
one-time token (only its hash is stored); confirming the token records ``granted``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import frozen
from sqlalchemy import Connection, bindparam, func, insert, select

from crmkit.core import audit
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.tables import consent, party, utcnow

if TYPE_CHECKING:
    from crmkit.core.db import Transaction

CHANNELS: tuple[str, ...] = ("email", "sms", "phone", "post")
STATUSES: tuple[str, ...] = ("granted", "withdrawn", "pending")
PURPOSE = re.compile(r"^[a-z][a-z0-9_.-]{0,49}$")


@frozen
class Consent:
    """One statement of consent (or its withdrawal) of a party for a purpose on a channel."""

    id: int
    party_id: int
    purpose: str
    channel: str
    status: str
    source: str
    evidence: str | None
    recorded_at: datetime
    recorded_by: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check(purpose: Any, channel: Any, status: Any, source: Any) -> None:
    if not isinstance(purpose, str) or not PURPOSE.match(purpose):
        raise ValidationError("purpose", "expected a purpose name such as marketing or newsletter")
    if channel not in CHANNELS:
        raise ValidationError("channel", f"expected one of {', '.join(CHANNELS)}")
    if status not in STATUSES:
        raise ValidationError("status", f"expected one of {', '.join(STATUSES)}")
    if not isinstance(source, str) or not 0 < len(source) <= 100:
        raise ValidationError("source", "expected where the consent was given, e.g. web-form")


def _latest(conn: Connection, party_id: int, purpose: str, channel: str) -> Any:
    return conn.execute(
        select(consent)
        .where(
            consent.c.party_id == party_id,
            consent.c.purpose == purpose,
            consent.c.channel == channel,
        )
        .order_by(consent.c.id.desc())
        .limit(1)
    ).first()


def _insert(tx: Transaction, values: dict[str, Any], token_hash: str | None = None) -> Consent:
    previous = _latest(tx.conn, values["party_id"], values["purpose"], values["channel"])
    row = {**values, "recorded_at": utcnow(), "recorded_by": tx.actor.username}
    new_id = tx.conn.execute(
        insert(consent).values(**row, token_hash=token_hash).returning(consent.c.id)
    ).scalar_one()
    field = f"consent.{values['purpose']}.{values['channel']}"
    before = previous.status if previous is not None else None
    audit.record(tx, "party", values["party_id"], "updated", {field: [before, values["status"]]})
    return Consent(id=new_id, **row)


def record_consent(
    tx: Transaction,
    party_id: int,
    purpose: str,
    channel: str,
    status: str,
    *,
    source: str,
    evidence: str | None = None,
) -> tuple[Consent, str | None]:
    """Record a statement of consent; a ``pending`` one also returns its confirmation token.

    The token is shown only here: hand it to the party (a link in an email) and
    pass it back to :func:`confirm_consent` when they confirm.
    """
    _check(purpose, channel, status, source)
    if evidence is not None and (not isinstance(evidence, str) or len(evidence) > 10_000):
        raise ValidationError("evidence", "expected text of at most 10,000 characters")
    if tx.conn.execute(select(party.c.id).where(party.c.id == party_id)).first() is None:
        raise NotFound(f"party {party_id} does not exist")
    token = secrets.token_urlsafe(24) if status == "pending" else None
    values = dict(
        party_id=party_id,
        purpose=purpose,
        channel=channel,
        status=status,
        source=source,
        evidence=evidence,
    )
    return _insert(tx, values, _hash(token) if token else None), token


def confirm_consent(tx: Transaction, token: str) -> Consent:
    """Turn the pending consent the token was issued for into ``granted`` (double opt-in).

    A token works once, and only while its pending statement is still the latest
    for that purpose and channel (a withdrawal in between voids it).
    """
    pending = tx.conn.execute(select(consent).where(consent.c.token_hash == _hash(token))).first()
    latest = (
        _latest(tx.conn, pending.party_id, pending.purpose, pending.channel) if pending else None
    )
    if pending is None or latest is None or latest.id != pending.id:
        raise NotFound("this confirmation link is unknown or was used already")
    values = dict(
        party_id=pending.party_id,
        purpose=pending.purpose,
        channel=pending.channel,
        status="granted",
        source="double-opt-in",
        evidence=f"confirmed the request of {pending.recorded_at.isoformat()} ({pending.source})",
    )
    return _insert(tx, values)


def _consent(row: Any) -> Consent:
    return Consent(**{k: v for k, v in row._mapping.items() if k != "token_hash"})


def consents_of(conn: Connection, party_id: int) -> list[Consent]:
    """The consent in force per purpose and channel (the latest statement), by purpose and channel."""
    return consents_of_parties(conn, [party_id]).get(party_id, [])


def consents_of_parties(conn: Connection, party_ids: Collection[int]) -> dict[int, list[Consent]]:
    """:func:`consents_of` for each of ``party_ids`` that stated any, in one query (a batch of mail)."""
    latest = (
        select(func.max(consent.c.id))
        .where(consent.c.party_id.in_(list(party_ids)))
        .group_by(consent.c.party_id, consent.c.purpose, consent.c.channel)
    )
    rows = conn.execute(
        select(consent)
        .where(consent.c.id.in_(latest))
        .order_by(consent.c.party_id, consent.c.purpose, consent.c.channel)
    )
    found: dict[int, list[Consent]] = {}
    for row in rows:
        found.setdefault(row.party_id, []).append(_consent(row))
    return found


_LATEST_ON_CHANNEL = (
    select(func.max(consent.c.id))
    .where(
        consent.c.party_id.in_(bindparam("parties", expanding=True)),
        consent.c.purpose.in_(bindparam("purposes", expanding=True)),
        consent.c.channel == bindparam("channel"),
    )
    .group_by(consent.c.party_id, consent.c.purpose)
)
_GRANTED = select(consent.c.party_id, consent.c.purpose).where(
    consent.c.id.in_(_LATEST_ON_CHANNEL), consent.c.status == "granted"
)


def consenting(
    conn: Connection, asked: Collection[tuple[int, str]], channel: str
) -> set[tuple[int, str]]:
    """Those of the ``(party_id, purpose)`` pairs ``asked`` whose consent in force on
    ``channel`` is ``granted``, in one query (the recipients of a batch of mail)."""
    if not asked:
        return set()
    values = {
        "parties": list({p for p, _ in asked}),
        "purposes": list({q for _, q in asked}),
        "channel": channel,
    }
    granted = {(row.party_id, row.purpose) for row in conn.execute(_GRANTED, values)}
    return granted & set(asked)


def consent_history(conn: Connection, party_id: int) -> list[Consent]:
    """Every statement of the party, oldest first (for the privacy export)."""
    rows = conn.execute(
        select(consent).where(consent.c.party_id == party_id).order_by(consent.c.id)
    )
    return [_consent(r) for r in rows]
