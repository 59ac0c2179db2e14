"""Idempotent creates: the first answer to a key is stored with the create and replayed on a retry.

The answer is written in the transaction that creates the record, so a crash
leaves either both or neither: a client that retries after a lost response gets
the original answer and no second record. Answers are kept for the retention the
settings give (``idempotency_retention_hours``); the parties an answer shows are
recorded with it, so that erasing a party finds the answers to forget by index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, delete, insert, select, tuple_

from crmkit.core.actors import Actor
from crmkit.core.db import Transaction
from crmkit.core.errors import ValidationError
from crmkit.core.tables import idempotency_key, idempotency_party, utcnow

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
    """Store the answer to ``key``, and the parties it shows, in the transaction that made it."""
    owner = _owner(tx.actor)
    tx.conn.execute(
        insert(idempotency_key).values(
            actor=owner,
            key=key,
            request_hash=fingerprint,
            status=response.status,
            body=response.body,
            created_at=utcnow(),
        )
    )
    shown = [{"actor": owner, "key": key, "party_id": i} for i in parties_shown(response.body)]
    if shown:
        tx.conn.execute(insert(idempotency_party), shown)


def parties_shown(answer: Any) -> frozenset[int]:
    """The ids of the parties an answer shows: a prospect or customer, or a record of one (``party_id``)."""
    return frozenset(_party_ids(answer))


def _party_ids(answer: Any) -> Iterator[int]:
    if isinstance(answer, dict):
        if answer.get("role") in ("prospect", "customer") and _is_id(answer.get("id")):
            yield answer["id"]
        if _is_id(answer.get("party_id")):
            yield answer["party_id"]
        values: Iterable[Any] = answer.values()
    elif isinstance(answer, list):
        values = answer
    else:
        return
    for value in values:
        yield from _party_ids(value)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def forget_answers(tx: Transaction, party_ids: Iterable[int]) -> None:
    """Delete the stored answers that show any of the parties.

    Replaying such an answer would show the person again; a retry after the erasure is
    taken as a new request instead.
    """
    showing = select(idempotency_party.c.actor, idempotency_party.c.key).where(
        idempotency_party.c.party_id.in_(list(party_ids))
    )
    tx.conn.execute(
        delete(idempotency_key).where(
            tuple_(idempotency_key.c.actor, idempotency_key.c.key).in_(showing)
        )
    )


def prune_answers(tx: Transaction, before: datetime) -> None:
    """Delete the answers stored before ``before``: a retry of one of them is a new request."""
    tx.conn.execute(delete(idempotency_key).where(idempotency_key.c.created_at < before))
