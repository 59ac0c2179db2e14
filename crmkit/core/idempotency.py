"""Idempotent creates: the first answer to a key is stored with the create and replayed on a retry.

The answer is written in the transaction that creates the record, so a crash
leaves either both or neither: a client that retries after a lost response gets
the original answer and no second record.
"""

from __future__ import annotations

import hashlib
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select

from crmkit.core.actors import Actor
from crmkit.core.db import Transaction
from crmkit.core.errors import ValidationError
from crmkit.core.tables import idempotency_key, utcnow

MAX_KEY_LENGTH = 200


@frozen
class StoredResponse:
    """The status and JSON body first answered to a key."""

    status: int
    body: Any


def check_key(key: str) -> str:
    """The key if it is usable; raises naming the header otherwise."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            "Idempotency-Key", f"expected 1 to {MAX_KEY_LENGTH} printable characters"
        )
    return key


def request_hash(*parts: str | bytes) -> str:
    """A fingerprint of what was asked (method, path, body), to tell a retry from a new request."""
    digest = hashlib.sha256()
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        digest.update(len(raw).to_bytes(8, "big") + raw)
    return digest.hexdigest()


def _owner(actor: Actor) -> str:
    return f"user:{actor.user_id}" if actor.user_id is not None else f"name:{actor.username}"


def recall(conn: Connection, actor: Actor, key: str, fingerprint: str) -> StoredResponse | None:
    """The stored answer to ``key``, or None; the same key for another request is a 422."""
    row = conn.execute(
        select(idempotency_key).where(
            idempotency_key.c.actor == _owner(actor), idempotency_key.c.key == key
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise ValidationError(
            "Idempotency-Key", "was already used for a different request; choose a new key"
        )
    return StoredResponse(row.status, row.body)


def remember(tx: Transaction, key: str, fingerprint: str, response: StoredResponse) -> None:
    """Store the answer to ``key`` in the transaction that made it."""
    tx.conn.execute(
        insert(idempotency_key).values(
            actor=_owner(tx.actor),
            key=key,
            request_hash=fingerprint,
            status=response.status,
            body=response.body,
            created_at=utcnow(),
        )
    )
