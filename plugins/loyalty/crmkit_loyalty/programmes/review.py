"""The tier review (job ``loyalty.review_tiers``, daily): members whose review date has passed
keep their tier for another qualification period if their points still reach it, or move
down by their programme's downgrade rule.

Members are taken in batches by id, each batch in its own transaction, so that a crash
loses at most the batch in hand; a reviewed member's next review lies in the future (or,
in the entry tier, nowhere), so running it again the same day changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import select, update

from crmkit import SYSTEM, Crm, Transaction
from crmkit_loyalty.ledger.tables import member
from crmkit_loyalty.programmes.model import Tier
from crmkit_loyalty.programmes.months import add_months
from crmkit_loyalty.programmes.service import tiers_of
from crmkit_loyalty.programmes.tables import programme, tier
from crmkit_loyalty.programmes.tiers import move, qualifying_points_of


@frozen
class ReviewOutcome:
    """What a review run did."""

    reviewed: int
    kept: int
    downgraded: int


def _due(tx: Transaction, now: datetime, after_id: int, limit: int) -> list[Any]:
    return list(
        tx.conn.execute(
            select(
                member.c.id,
                member.c.programme_id,
                member.c.party_id,
                member.c.tier_id,
                member.c.tier_review_on,
                tier.c.rank,
                tier.c.threshold,
                programme.c.qualification_months,
                programme.c.downgrade,
            )
            .join(tier, tier.c.id == member.c.tier_id)
            .join(programme, programme.c.id == member.c.programme_id)
            .where(member.c.tier_review_on <= now, member.c.id > after_id)
            .order_by(member.c.id)
            .limit(limit)
            .with_for_update(of=member)
        )
    )


def downgraded_to(ladder: list[Tier], rank: int, points: int, rule: str) -> Tier:
    """The tier a member of tier ``rank`` whose points no longer reach it moves to: the next
    lower one (``one_step``), or the highest their points reach (``to_qualified``)."""
    below = [t for t in ladder if t.rank < rank]
    if rule == "one_step":
        return max(below, key=lambda t: t.rank)
    return max((t for t in below if t.threshold <= points), key=lambda t: t.rank)


def _review_batch(
    tx: Transaction, now: datetime, after_id: int, limit: int
) -> tuple[list[Any], int, int]:
    due = _due(tx, now, after_id, limit)
    kept = downgraded = 0
    ladders: dict[int, list[Tier]] = {}
    points: dict[int, int] = {}
    for months in {row.qualification_months for row in due}:
        ids = [row.id for row in due if row.qualification_months == months]
        points.update(qualifying_points_of(tx.conn, ids, add_months(now, -months)))
    for row in due:
        earned = points[row.id]
        next_review = add_months(now, row.qualification_months)
        if earned >= row.threshold:
            # The entry tier cannot be lost: it needs no review.
            done = tx.conn.execute(
                update(member)
                .where(member.c.id == row.id, member.c.tier_id == row.tier_id)
                .values(tier_review_on=None if row.rank == 0 else next_review, updated_at=now)
            ).rowcount
            kept += done
            continue
        ladder = ladders.setdefault(row.programme_id, tiers_of(tx.conn, row.programme_id))
        target = downgraded_to(ladder, row.rank, earned, row.downgrade)
        review_on = None if target.rank == 0 else next_review
        if move(tx, row, target, reason="downgraded", now=now, review_on=review_on, points=earned):
            downgraded += 1
    return due, kept, downgraded


def review_tiers(app: Crm, now: datetime, batch: int) -> ReviewOutcome:
    """Review every member whose review date is ``now`` or earlier, ``batch`` at a time."""
    after_id = 0
    reviewed = kept = downgraded = 0
    while True:
        with app.transaction(SYSTEM) as tx:
            due, batch_kept, batch_downgraded = _review_batch(tx, now, after_id, batch)
        reviewed += len(due)
        kept += batch_kept
        downgraded += batch_downgraded
        if len(due) < batch:
            return ReviewOutcome(reviewed=reviewed, kept=kept, downgraded=downgraded)
        after_id = due[-1].id
