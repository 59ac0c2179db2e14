"""The A/B test's winner: once the test members have had ``decide_after_hours``, the variant
with the best rate of the campaign's metric (opened or clicked) goes to everyone else."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from crmkit import Transaction
from crmkit_campaigns.campaigns.model import ENTITY, Campaign
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.results.statuses import refresh_statuses

NEVER_SENT = ("targeted", "failed", "suppressed", "cancelled")
"""A test member in one of these got no message: it counts for no variant's rate."""


def winner_due(tx: Transaction, found: Campaign, now: datetime) -> bool:
    """Whether the campaign's winner should be chosen now: members wait for it, every test
    member was queued, and the first of them ``decide_after_hours`` ago."""
    if found.winner_metric is None or found.winner_variant_id is not None:
        return False
    waiting = _exists(tx, found.id, member.c.variant_id.is_(None))
    if not waiting or _exists(tx, found.id, member.c.in_test == 1):
        return False
    first = tx.conn.execute(
        select(func.min(member.c.queued_at)).where(
            member.c.campaign_id == found.id, member.c.in_test == 1
        )
    ).scalar_one()
    assert found.decide_after_hours is not None  # set with winner_metric
    return first is None or first + timedelta(hours=found.decide_after_hours) <= now


def decide_winner(tx: Transaction, found: Campaign) -> int:
    """Choose and store the winning variant (the best rate; the first variant on a tie, or
    without test members), and give it to the members waiting for it; its id."""
    refresh_statuses(tx, found.id)
    reached = member.c.opened_at if found.winner_metric == "opened" else member.c.clicked_at
    rows = tx.conn.execute(
        select(member.c.variant_id, func.count(), func.count(reached))
        .where(
            member.c.campaign_id == found.id,
            member.c.in_test == 1,
            member.c.status.not_in(NEVER_SENT),
        )
        .group_by(member.c.variant_id)
    ).all()
    rates = {variant_id: hits / total for variant_id, total, hits in rows if total}
    tested = [v.id for v in found.variants if v.channel == _tested_channel(found)]
    winner = max(tested, key=lambda variant_id: (rates.get(variant_id, 0.0), -variant_id))
    tx.conn.execute(
        update(campaign).where(campaign.c.id == found.id).values(winner_variant_id=winner)
    )
    tx.conn.execute(
        update(member)
        .where(
            member.c.campaign_id == found.id,
            member.c.status == "targeted",
            member.c.variant_id.is_(None),
        )
        .values(variant_id=winner)
    )
    payload = {"id": found.id, "variant_id": winner}
    tx.emit("campaigns.campaign.winner_chosen", ENTITY, found.id, payload)
    return winner


def _tested_channel(found: Campaign) -> str:
    channels = [v.channel for v in found.variants]
    return next(c for c in channels if channels.count(c) > 1)


def _exists(tx: Transaction, campaign_id: int, *conditions: object) -> bool:
    """Whether a member of the campaign still ``targeted`` meets ``conditions``."""
    return (
        tx.conn.execute(
            select(member.c.id)
            .where(member.c.campaign_id == campaign_id, member.c.status == "targeted", *conditions)  # type: ignore[arg-type]
            .limit(1)
        ).first()
        is not None
    )
