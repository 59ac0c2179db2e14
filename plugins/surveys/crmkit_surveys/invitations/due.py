"""Queued invitations: those of rules waiting for their delay, and those of large sends. The
job ``surveys.send_due`` (every minute) sends those due; a rule without a delay sends its
invitation at once.

Each batch's messages (``send_many``) and its invitations' move from ``queued`` to ``sent``
commit together, so a worker that dies mid-batch leaves the batch as it was and nothing is
sent twice. On PostgreSQL a batch's invitations are locked (``FOR UPDATE SKIP LOCKED``) so
that two workers take different ones.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update

from crmkit import SYSTEM, Transaction, utcnow
from crmkit_surveys.invitations.handover import Item, hand_over_each
from crmkit_surveys.invitations.links import new_token, token_hash
from crmkit_surveys.invitations.messages import in_language
from crmkit_surveys.invitations.survey_state import survey_state
from crmkit_surveys.invitations.tables import invitation, rule, send

_MARK = (
    update(invitation)
    .where(invitation.c.id == bindparam("invitation_id"))
    .values(
        status=bindparam("new_status"),
        token_hash=bindparam("new_token_hash"),
        message_ref=bindparam("new_message_ref"),
        sent_at=bindparam("new_sent_at"),
    )
)


RUN_SECONDS = 20.0
"""How long one run takes batches before it leaves the rest to its next run, so that the
worker's other jobs (the channels plugin's delivery) get their turn."""


def send_due(app: Any, now: datetime | None = None) -> int:
    """One run of the job: batches of due invitations until none is left or the run's time is
    up (checked after each batch: a run always makes progress); how many were handled."""
    size: int = app.settings_of["surveys"].invitations.send_batch
    deadline = time.monotonic() + RUN_SECONDS
    handled = 0
    while True:
        with app.transaction(SYSTEM) as tx:
            done = send_batch(tx, size, now=now or utcnow())
        handled += done
        if done < size or time.monotonic() >= deadline:
            return handled


def send_batch(tx: Transaction, size: int, *, now: datetime) -> int:
    """Send the next ``size`` queued invitations due at ``now``; how many were handled."""
    query = (
        select(
            invitation.c.id,
            invitation.c.survey_id,
            invitation.c.party_id,
            invitation.c.language,
            invitation.c.expires_at,
            invitation.c.rule_id,
            invitation.c.send_id,
        )
        .where(invitation.c.status == "queued", invitation.c.not_before <= now)
        .order_by(invitation.c.id)
        .limit(size)
    )
    if tx.conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = tx.conn.execute(query).all()
    send_rows(tx, rows, now)
    _finish_sends(tx, {r.send_id for r in rows if r.send_id is not None})
    return len(rows)


def send_rows(tx: Transaction, rows: Sequence[Any], now: datetime) -> None:
    """Hand the queued invitations ``rows`` to the channels plugin and record the outcome.

    An invitation whose survey was closed meanwhile, whose rule was deleted or whose party
    was erased is not sent: it expires. One the channels plugin refuses or suppresses fails.
    """
    rules = _sources(tx, rule, {r.rule_id for r in rows if r.rule_id is not None})
    sends = _sources(tx, send, {r.send_id for r in rows if r.send_id is not None})
    surveys = {sid: survey_state(tx.conn, sid) for sid in {r.survey_id for r in rows}}
    marks: list[dict[str, Any]] = []
    sendable: list[tuple[Any, Item]] = []
    for row in rows:
        found = surveys[row.survey_id]
        source = sends.get(row.send_id) if row.send_id is not None else rules.get(row.rule_id)
        if not found.sendable or source is None or row.party_id is None or row.expires_at <= now:
            marks.append(_mark(row.id, "expired"))
            continue
        message = in_language(source.message, row.language, found.default_language)
        sendable.append(
            (row, Item(row.party_id, source.channel, message, found.name, row.expires_at))
        )
    handed = hand_over_each(tx, [item for _, item in sendable])
    for (row, _), done in zip(sendable, handed, strict=True):
        status = "sent" if done.status == "sent" else "failed"
        marks.append(_mark(row.id, status, done.token_hash, done.message_ref, now))
    if marks:
        tx.conn.execute(_MARK, marks)


def _mark(
    invitation_id: int,
    status: str,
    hashed: str | None = None,
    ref: str | None = None,
    sent_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "invitation_id": invitation_id,
        "new_status": status,
        # Until sent, the hash is of a token nobody was given; the sent link's replaces it.
        "new_token_hash": hashed if hashed is not None else token_hash(new_token()),
        "new_message_ref": ref,
        "new_sent_at": sent_at if status == "sent" else None,
    }


def _sources(tx: Transaction, table: Table, ids: set[int]) -> dict[int, Any]:
    """The channel and message of the rules or sends ``ids``, by id."""
    if not ids:
        return {}
    found = tx.conn.execute(
        select(table.c.id, table.c.channel, table.c.message).where(table.c.id.in_(ids))
    ).all()
    return {r.id: r for r in found}


def _finish_sends(tx: Transaction, ids: set[int]) -> None:
    """Sends with no invitation left queued are ``sent``."""
    if not ids:
        return
    waiting = select(invitation.c.id).where(
        invitation.c.send_id == send.c.id, invitation.c.status == "queued"
    )
    tx.conn.execute(
        update(send)
        .where(send.c.id.in_(ids), send.c.status == "queued", ~waiting.exists())
        .values(status="sent")
    )
