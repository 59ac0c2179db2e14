"""Member statuses and milestones from the channels plugin's delivery and tracking (interface 2).

SMS members are left as the send job recorded them (``queued``): the channels plugin
offers no public way to read an SMS's delivery state yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from attrs import evolve
from crmkit_channels import MessageState, delivery_states
from sqlalchemy import String, bindparam, func, select, update

from crmkit import SYSTEM, Transaction, UTCDateTime, utcnow
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.results.progress import NEVER_LEFT, advanced, furthest, rank

MILESTONES = ("sent_at", "delivered_at", "bounced_at", "opened_at", "clicked_at", "unsubscribed_at")
OUTBOX_STEP = {
    "queued": "queued",
    "sending": "queued",
    "unknown": "sent",
    "sent": "delivered",
    "bounced": "bounced",
    "failed": "failed",
    "suppressed": "suppressed",
}
"""The member step of each outbox status of the channels plugin. ``unknown`` (perhaps sent)
counts as sent; ``sent`` means the relay took it and no bounce came back: delivered."""


def refresh_statuses(tx: Transaction, campaign_id: int) -> None:
    """Bring the campaign's email members' status and milestones up to date, never backwards."""
    chunk: int = tx.app.settings_of["campaigns"].results.refresh_chunk
    # The campaign's results are counted for every member; who may see which member is
    # decided when they are read. delivery_states leaves out parties the actor does not
    # see, so it runs as the system, else a refresh by a territory manager (or the job)
    # would leave other members' statuses stale.
    as_system = evolve(tx, actor=SYSTEM)
    now = utcnow()
    after = 0
    while True:
        rows = tx.conn.execute(
            select(member.c.id, member.c.email_id, member.c.status, *member.c[MILESTONES])
            .where(
                member.c.campaign_id == campaign_id,
                member.c.id > after,
                member.c.email_id.is_not(None),
                member.c.status.not_in(NEVER_LEFT),
            )
            .order_by(member.c.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        after = rows[-1].id
        states = delivery_states(as_system, email_ids=[r.email_id for r in rows]).messages
        by_email = {s.email_id: s for s in states}
        changes = [
            change
            for row in rows
            if row.email_id in by_email
            and (change := _change(row, by_email[row.email_id], now)) is not None
        ]
        _apply(tx, changes)


def _reached(state: MessageState, now: datetime) -> tuple[str, dict[str, datetime | None]]:
    """The furthest step the email shows and when each milestone was (first) seen."""
    steps = [OUTBOX_STEP.get(state.status, "queued")]
    opened = state.first_opened_at or state.first_clicked_at  # a click proves the open
    if opened is not None:
        steps.append("opened")
    if state.first_clicked_at is not None:
        steps.append("clicked")
    if state.unsubscribed:
        steps.append("unsubscribed")
    handed_over = rank(steps[0]) >= rank("sent")
    # The outbox keeps no time of hand-over, bounce or unsubscribe: they are dated when
    # a refresh first sees them (at most one tracking interval late).
    return furthest(*steps), {
        "sent_at": now if handed_over else None,
        "delivered_at": now if steps[0] == "delivered" or opened is not None else None,
        "bounced_at": now if state.status == "bounced" else None,
        "opened_at": opened,
        "clicked_at": state.first_clicked_at,
        "unsubscribed_at": now if state.unsubscribed else None,
    }


def _change(row: Any, state: MessageState, now: datetime) -> dict[str, Any] | None:
    """The UPDATE's parameters for the member, or None when nothing new was seen."""
    status, seen = _reached(state, now)
    new_milestones = {k: v for k, v in seen.items() if v is not None and getattr(row, k) is None}
    if rank(status) <= rank(row.status) and not new_milestones:
        return None
    return {"m_id": row.id, "m_status": status, **{f"m_{k}": seen[k] for k in MILESTONES}}


def _apply(tx: Transaction, changes: Sequence[dict[str, Any]]) -> None:
    if not changes:
        return
    statement = (
        update(member)
        .where(member.c.id == bindparam("m_id"))
        .values(
            status=advanced(bindparam("m_status", type_=String())),
            **{
                name: func.coalesce(member.c[name], bindparam(f"m_{name}", type_=UTCDateTime()))
                for name in MILESTONES
            },
        )
    )
    tx.conn.execute(statement, list(changes))
