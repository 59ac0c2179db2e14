"""The send job: the next batch of a sending campaign's members, queued in one transaction.

Each batch's outbox rows (``send_many``) and its members' move from ``targeted`` to
``queued`` (or ``suppressed``) commit together, so a worker that dies mid-batch leaves
the batch as it was and nothing is queued twice. On PostgreSQL a batch's members are
locked (``FOR UPDATE SKIP LOCKED``) so that two workers take different members; on
SQLite a writing transaction holds the database's write lock from its start. Pause and
cancel are read at the start of each batch, so they take effect at the next one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crmkit_channels import Outbound, SmsOutbound, send, send_many
from sqlalchemy import bindparam, func, select, update

from crmkit import SYSTEM, Transaction, ValidationError, utcnow
from crmkit_campaigns.campaigns.definition import get_campaign
from crmkit_campaigns.campaigns.inputs import time_of
from crmkit_campaigns.campaigns.messages import message_for
from crmkit_campaigns.campaigns.model import ENTITY, Campaign
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.campaigns.winner import decide_winner, winner_due

ACTIVE = ("scheduled", "sending")

_MARK_QUEUED = (
    update(member)
    .where(member.c.id == bindparam("member_id"))
    .values(
        status=bindparam("new_status"),
        email_id=bindparam("new_email_id"),
        sms_id=bindparam("new_sms_id"),
        queued_at=bindparam("new_queued_at"),
        detail=bindparam("new_detail"),
    )
)


def send_due(app: Any, now: datetime | None = None) -> int:
    """One run of the job: batches of the active campaigns in turn until none has more to
    send now or the run's time is up; how many members were handled."""
    settings = app.settings_of["campaigns"].campaigns
    deadline = time.monotonic() + settings.run_seconds
    with app.read() as conn:
        ids = (
            conn.execute(
                select(campaign.c.id).where(campaign.c.status.in_(ACTIVE)).order_by(campaign.c.id)
            )
            .scalars()
            .all()
        )
    handled = 0
    # A batch of each campaign in turn, so that a large one does not hold up the others.
    # The time is checked after each batch, never before the first: a run always makes
    # progress, however short its time.
    waiting = list(ids)
    while waiting:
        for campaign_id in list(waiting):
            with app.transaction(SYSTEM) as tx:
                done = send_batch(tx, campaign_id, settings.send_batch, now=now)
            handled += done
            if done == 0:
                waiting.remove(campaign_id)
            if time.monotonic() >= deadline:
                return handled
    return handled


def send_batch(tx: Transaction, campaign_id: int, size: int, *, now: datetime | None = None) -> int:
    """Queue the campaign's next batch of at most ``size`` members, if it may send now; how
    many members were handled (0: nothing to do now)."""
    now = now or utcnow()
    found = get_campaign(tx.conn, campaign_id)
    if found.status == "scheduled":
        if found.starts_at is not None and found.starts_at > now:
            return 0
        found = _move(tx, found, "sending", "started")
    if found.status != "sending":
        return 0
    if found.ends_at is not None and now >= found.ends_at:
        _end(tx, found, now)
        return 0
    if in_quiet_hours(found, now):
        return 0
    size = min(size, _throttle_room(tx, found, now))
    if size <= 0:
        return 0
    if winner_due(tx, found, now):
        decide_winner(tx, found)
        found = get_campaign(tx.conn, campaign_id)
    batch = _claim(tx, campaign_id, size)
    if not batch:
        if found.kind == "one_off" and not _any_targeted(tx, campaign_id):
            _move(tx, found, "completed", "completed", completed_at=now)
        return 0
    _queue(tx, found, batch, now)
    return len(batch)


def in_quiet_hours(found: Campaign, now: datetime) -> bool:
    """Whether ``now`` falls in the campaign's quiet hours, in its time zone."""
    if found.quiet_start is None or found.quiet_end is None:
        return False
    local = now.astimezone(ZoneInfo(found.time_zone)).time()
    start, end = time_of(found.quiet_start), time_of(found.quiet_end)
    if start < end:
        return start <= local < end
    return local >= start or local < end  # over midnight, e.g. 21:00 to 08:00


def _throttle_room(tx: Transaction, found: Campaign, now: datetime) -> int:
    """How many more members the campaign may queue in the hour up to ``now``."""
    if found.throttle_per_hour is None:
        return 1 << 30
    # Locked so that two workers do not both see room for the same members.
    tx.conn.execute(select(campaign.c.id).where(campaign.c.id == found.id).with_for_update())
    recent = tx.conn.execute(
        select(func.count())
        .select_from(member)
        .where(member.c.campaign_id == found.id, member.c.queued_at > now - timedelta(hours=1))
    ).scalar_one()
    return int(found.throttle_per_hour - recent)


def _claim(tx: Transaction, campaign_id: int, size: int) -> Sequence[Any]:
    """The next members whose message is known, locked for this transaction on PostgreSQL."""
    query = (
        select(member.c.id, member.c.party_id, member.c.variant_id)
        .where(
            member.c.campaign_id == campaign_id,
            member.c.status == "targeted",
            member.c.variant_id.is_not(None),
        )
        .order_by(member.c.id)
        .limit(size)
    )
    if tx.conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return tx.conn.execute(query).all()


def _queue(tx: Transaction, found: Campaign, batch: Sequence[Any], now: datetime) -> None:
    variants = {v.id: v for v in found.variants}
    messages = [
        message_for(
            tx.app, found, variants[row.variant_id], member_id=row.id, party_id=row.party_id
        )
        for row in batch
    ]
    outcomes: list[Outbound | SmsOutbound | ValidationError]
    events, after_commit = len(tx.events), len(tx.after_commit)
    try:
        with tx.conn.begin_nested():
            outcomes = list(send_many(tx, messages))
    except ValidationError:
        del tx.events[events:], tx.after_commit[after_commit:]
        # One member's message is refused (say, the party's address was removed since it was
        # targeted): queue the others one by one, and record why that one failed.
        outcomes = [_send_one(tx, message) for message in messages]
    tx.conn.execute(
        _MARK_QUEUED,
        [_marked(row.id, outcome, now) for row, outcome in zip(batch, outcomes, strict=True)],
    )


def _send_one(tx: Transaction, message: Any) -> Outbound | SmsOutbound | ValidationError:
    events, after_commit = len(tx.events), len(tx.after_commit)
    savepoint = tx.conn.begin_nested()
    try:
        sent = send(tx, message)
    except ValidationError as exc:
        savepoint.rollback()
        del tx.events[events:], tx.after_commit[after_commit:]
        return exc
    savepoint.commit()
    return sent


def _marked(
    member_id: int, outcome: Outbound | SmsOutbound | ValidationError, now: datetime
) -> dict[str, Any]:
    if isinstance(outcome, ValidationError):
        return {
            "member_id": member_id,
            "new_status": "failed",
            "new_email_id": None,
            "new_sms_id": None,
            "new_queued_at": None,
            "new_detail": f"{outcome.field}: {outcome.reason}"[:300],
        }
    is_sms = isinstance(outcome, SmsOutbound)
    suppressed = outcome.status == "suppressed"
    return {
        "member_id": member_id,
        "new_status": "suppressed" if suppressed else "queued",
        "new_email_id": None if is_sms else outcome.id,
        "new_sms_id": outcome.id if is_sms else None,
        # A suppressed message never leaves the outbox: the member was not reached, so it
        # gets no queued_at (which would count as a touch, and against the throttle).
        "new_queued_at": None if suppressed else now,
        "new_detail": None,
    }


def _any_targeted(tx: Transaction, campaign_id: int) -> bool:
    return (
        tx.conn.execute(
            select(member.c.id)
            .where(member.c.campaign_id == campaign_id, member.c.status == "targeted")
            .limit(1)
        ).first()
        is not None
    )


def _end(tx: Transaction, found: Campaign, now: datetime) -> None:
    """The campaign's end has passed: the members still waiting are not sent any more."""
    tx.conn.execute(
        update(member)
        .where(member.c.campaign_id == found.id, member.c.status == "targeted")
        .values(status="cancelled", detail="the campaign ended before the member's turn")
    )
    _move(tx, found, "completed", "completed", completed_at=now)


def _move(tx: Transaction, found: Campaign, status: str, event: str, **values: Any) -> Campaign:
    tx.conn.execute(
        update(campaign)
        .where(campaign.c.id == found.id)
        .values(status=status, updated_at=utcnow(), version=campaign.c.version + 1, **values)
    )
    tx.emit(f"campaigns.campaign.{event}", ENTITY, found.id, {"id": found.id})
    return get_campaign(tx.conn, found.id)
