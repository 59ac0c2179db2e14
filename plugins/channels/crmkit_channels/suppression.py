"""The suppression list: addresses that bounced hard or complained, never emailed again.

An entry is found by the SHA-256 of the lower-cased address. When the party is
erased its address is blanked and only the hash stays, so the erased address is
still suppressed without the CRM keeping it (see the README).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, delete, insert, select

from crmkit import NotFound, Permission, Transaction, require, utcnow
from crmkit_channels.tracking_tables import suppression

ADMIN = Permission(
    "channels:suppression.admin", "List the suppressed email addresses and remove entries"
)
REASONS = ("bounce", "complaint")


@frozen
class Suppression:
    """An address no email is sent to, and why."""

    id: int
    address: str | None
    """None once the party it belonged to was erased."""
    reason: str
    """``bounce`` (a hard bounce) or ``complaint`` (the reader reported it as spam)."""
    detail: str | None
    email_id: int | None
    """The email that bounced or was complained about."""
    created_at: datetime


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def suppress(
    tx: Transaction, address: str, reason: str, detail: str | None, email_id: int | None
) -> None:
    """Put ``address`` on the list, unless it is there already (the first reason stays)."""
    digest = address_hash(address)
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


def suppression_of(conn: Connection, address: str) -> Suppression | None:
    """The entry suppressing ``address``, if any."""
    row = conn.execute(
        select(suppression).where(suppression.c.address_hash == address_hash(address))
    ).first()
    return None if row is None else _entry(row)


def why_suppressed(conn: Connection, address: str) -> str | None:
    """The reason an email to ``address`` is not sent, for the outbox and the timeline; None if it may be."""
    entry = suppression_of(conn, address)
    if entry is None:
        return None
    why = "a hard bounce" if entry.reason == "bounce" else "a spam complaint"
    detail = f" ({entry.detail})" if entry.detail else ""
    return f"the address is on the suppression list after {why}{detail}"


def list_suppressions(tx: Transaction) -> list[Suppression]:
    """Every entry, newest first; needs ``channels:suppression.admin``."""
    require(tx.hooks, tx.actor, ADMIN.name, conn=tx.conn)
    rows = tx.conn.execute(select(suppression).order_by(suppression.c.id.desc()))
    return [_entry(r) for r in rows]


def remove_suppression(tx: Transaction, entry_id: int) -> None:
    """Take an entry off the list (the address may be emailed again); needs ``channels:suppression.admin``."""
    require(tx.hooks, tx.actor, ADMIN.name, conn=tx.conn)
    removed = tx.conn.execute(delete(suppression).where(suppression.c.id == entry_id)).rowcount
    if removed != 1:
        raise NotFound(f"no suppression entry {entry_id}")


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
