"""The suppression list: addresses that bounced hard, complained or were added by hand, never emailed again.

An entry is found by the SHA-256 of the lower-cased address. When the party is
erased its address is blanked and only the hash stays, so the erased address is
still suppressed without the CRM keeping it (see the README).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, bindparam, delete, insert, select

from crmkit import (
    Actor,
    ConflictError,
    EmailAddress,
    NotFound,
    Page,
    Permission,
    Transaction,
    ValidationError,
    check_storable_text,
    newest_first,
    record_audit,
    require,
    utcnow,
)
from crmkit_channels.tracking_tables import suppression

ADMIN = Permission(
    "channels:suppression.admin", "List the suppressed email addresses, add and remove entries"
)
WHY = {
    "bounce": "a hard bounce",
    "complaint": "a spam complaint",
    "manual": "an administrator's entry",
}
"""Each reason an address is suppressed for, as the outbox and the timeline say it."""
REASONS = tuple(WHY)
AUDITED = "channels.suppression"
MAX_DETAIL = 1000


@frozen
class Suppression:
    """An address no email is sent to, and why."""

    id: int
    address: str | None
    """None once the party it belonged to was erased."""
    reason: str
    """``bounce`` (a hard bounce), ``complaint`` (the reader reported it as spam) or ``manual``."""
    detail: str | None
    email_id: int | None
    """The email that bounced or was complained about."""
    created_at: datetime


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def _hold(tx: Transaction, digest: str) -> None:
    # Two transactions listing the same address (a bounce and a hand-made entry, or two
    # requests) take turns: the second sees the first's entry instead of breaking the
    # unique index.
    tx.hold(f"channels.suppression:{digest}")


def suppress(
    tx: Transaction, address: str, reason: str, detail: str | None, email_id: int | None
) -> None:
    """Put ``address`` on the list, unless it is there already (the first reason stays)."""
    digest = address_hash(address)
    _hold(tx, digest)
    known = select(suppression.c.id).where(suppression.c.address_hash == digest)
    if tx.conn.execute(known).first() is not None:
        return
    tx.conn.execute(
        insert(suppression).values(
            address=address.strip(),
            address_hash=digest,
            reason=reason,
            detail=detail,
            email_id=email_id,
            created_at=utcnow(),
        )
    )


def why_suppressed(conn: Connection, address: str) -> str | None:
    """The reason an email to ``address`` is not sent, for the outbox and the timeline; None if it may be."""
    return why_suppressed_each(conn, {address}).get(address)


_BY_HASHES = select(suppression).where(
    suppression.c.address_hash.in_(bindparam("hashes", expanding=True))
)
"""Built once: every sending batch asks it."""


def why_suppressed_each(conn: Connection, addresses: Collection[str]) -> dict[str, str]:
    """:func:`why_suppressed` of those of ``addresses`` that are suppressed, in one query."""
    by_hash: dict[str, list[str]] = {}
    for address in addresses:
        by_hash.setdefault(address_hash(address), []).append(address)
    if not by_hash:
        return {}
    rows = conn.execute(_BY_HASHES, {"hashes": list(by_hash)})
    reasons = {}
    for row in rows:
        why = WHY[row.reason]
        detail = f" ({row.detail})" if row.detail else ""
        for address in by_hash[row.address_hash]:
            reasons[address] = f"the address is on the suppression list after {why}{detail}"
    return reasons


def list_suppressions(tx: Transaction) -> list[Suppression]:
    """Every entry, newest first; needs ``channels:suppression.admin``."""
    require(tx.hooks, tx.actor, ADMIN.name, conn=tx.conn)
    rows = tx.conn.execute(select(suppression).order_by(suppression.c.id.desc()))
    return [_entry(r) for r in rows]


def page_suppressions(
    host: Any, conn: Connection, actor: Actor, *, cursor: str | None, limit: int
) -> Page[Suppression]:
    """A page of the entries, newest first; needs ``channels:suppression.admin``.

    ``host`` is ``crm.host`` or ``tx.hooks``.
    """
    require(host, actor, ADMIN.name, conn=conn)
    query = select(suppression)
    return newest_first(conn, query, suppression.c.id, _entry, cursor=cursor, limit=limit)


def add_suppression(tx: Transaction, address: str, detail: str | None = None) -> Suppression:
    """Put ``address`` on the list by hand (reason ``manual``); needs ``channels:suppression.admin``.

    ValidationError naming ``address`` or ``detail``; ConflictError when the address
    is on the list already (the entry keeps its reason).
    """
    require(tx.hooks, tx.actor, ADMIN.name, conn=tx.conn)
    parsed = EmailAddress.parse(address, field_name="address")
    if detail is not None:
        check_storable_text("detail", detail)
        if len(detail) > MAX_DETAIL:
            raise ValidationError("detail", f"at most {MAX_DETAIL} characters")
    digest = address_hash(parsed.original)
    _hold(tx, digest)
    listed = select(suppression).where(suppression.c.address_hash == digest)
    known = tx.conn.execute(listed).first()
    if known is not None:
        raise ConflictError(f"the address is on the suppression list already (entry {known.id})")
    suppress(tx, parsed.original, "manual", detail, None)
    entry = _entry(tx.conn.execute(listed).one())
    record_audit(tx, AUDITED, entry.id, "created", {"reason": [None, entry.reason]})
    return entry


def remove_suppression(tx: Transaction, entry_id: int) -> None:
    """Take an entry off the list (the address may be emailed again); needs ``channels:suppression.admin``."""
    require(tx.hooks, tx.actor, ADMIN.name, conn=tx.conn)
    removed = tx.conn.execute(delete(suppression).where(suppression.c.id == entry_id)).rowcount
    if removed != 1:
        raise NotFound(f"no suppression entry {entry_id}")
    record_audit(tx, AUDITED, entry_id, "deleted", {})


def export_suppressions(conn: Connection, addresses: set[str]) -> list[dict[str, Any]]:
    """The entries naming these addresses (a privacy export)."""
    digests = [address_hash(a) for a in addresses]
    rows = conn.execute(
        select(
            suppression.c.address,
            suppression.c.reason,
            suppression.c.detail,
            suppression.c.created_at,
        )
        .where(suppression.c.address_hash.in_(digests))
        .order_by(suppression.c.id)
    )
    return [dict(r._mapping) for r in rows]


def forget_addresses(tx: Transaction, addresses: set[str]) -> None:
    """Blank the addresses of these entries, keeping their hashes (an erasure)."""
    digests = [address_hash(a) for a in addresses]
    if digests:
        tx.conn.execute(
            suppression.update()
            .where(suppression.c.address_hash.in_(digests))
            .values(address=None, detail=None)
        )


def _entry(row: Any) -> Suppression:
    return Suppression(
        id=row.id,
        address=row.address,
        reason=row.reason,
        detail=row.detail,
        email_id=row.email_id,
        created_at=row.created_at,
    )
