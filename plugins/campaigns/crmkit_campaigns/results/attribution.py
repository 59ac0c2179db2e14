"""Conversions and attributed revenue, set-based in SQL.

A **touch** is a campaign reaching a party: a member whose email or SMS was queued
(at ``sent_at``, else ``queued_at``) and did not end ``failed``, ``suppressed`` or
``cancelled`` (its message never left), or a response (at ``received_at``). A
**conversion** is, for a party:

- an order (sfa, when loaded), at ``placed_at``, worth ``total_net``;
- a won opportunity without an order (its order stands for it), at ``closed_at``,
  worth ``amount``;
- a prospect who responded becoming a customer, at ``converted_at``, worth nothing.

A touch is credited with a conversion of its party that follows it within the
attribution window (``attribution_days``). Revenue is credited by three models:
``first_touch`` (all to the campaign that touched first), ``last_touch`` (all to the
last one) and ``linear`` (split equally over the campaigns that touched). Amounts are
summed per currency, never across currencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import (
    Numeric,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
    update,
)

from crmkit import Transaction, party_table, seen_party_ids, sees_every_party
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.results.progress import NEVER_LEFT, advanced
from crmkit_campaigns.results.tables import response

MODELS = ("first_touch", "last_touch", "linear")
CENT = Decimal("0.01")


@frozen
class Attributed:
    """A campaign's credit on one channel (None: a response by a landing page) in one currency."""

    campaign_id: int
    channel: str | None
    currency: str | None
    """None for conversions without revenue (a responding prospect becoming a customer)."""
    conversions: int
    revenue: dict[str, Decimal]
    """Per model (:data:`MODELS`)."""


def window_days(tx: Transaction) -> int:
    days: int = tx.app.settings_of["campaigns"].results.attribution_days
    return days


def _plus_days(tx: Transaction, moment: Any, days: int) -> Any:
    """``moment`` + ``days`` in SQL; ``days`` is a checked whole number from the settings."""
    if tx.conn.dialect.name == "postgresql":
        return moment + literal_column(f"interval '{int(days)} days'")
    return func.datetime(moment, f"+{int(days)} days")


def touches() -> Any:
    """Every campaign's touches: campaign_id, party_id, channel, touched_at."""
    by_member = select(
        member.c.campaign_id,
        member.c.party_id,
        member.c.channel,
        func.coalesce(member.c.sent_at, member.c.queued_at).label("touched_at"),
    ).where(
        member.c.queued_at.is_not(None) | member.c.sent_at.is_not(None),
        member.c.status.not_in(NEVER_LEFT),
    )
    by_response = select(
        response.c.campaign_id,
        response.c.party_id,
        null().label("channel"),
        response.c.received_at.label("touched_at"),
    )
    return union_all(by_member, by_response).subquery("touch")


def conversions(tx: Transaction) -> Any:
    """Every conversion: kind, ref_id, party_id, at, amount (None: no revenue), currency."""
    parts = [
        select(
            literal("customer").label("kind"),
            party_table.c.id.label("ref_id"),
            party_table.c.id.label("party_id"),
            party_table.c.converted_at.label("at"),
            null().cast(Numeric(18, 2)).label("amount"),
            null().label("currency"),
        ).where(
            party_table.c.role == "customer",
            party_table.c.converted_at.is_not(None),
            exists().where(
                response.c.party_id == party_table.c.id,
                response.c.was_prospect == 1,
                response.c.received_at <= party_table.c.converted_at,
            ),
        )
    ]
    if "sfa" in tx.hooks.loaded:
        # Imported here: campaigns works without sfa, and reads orders only when it is loaded.
        from crmkit_sfa import opportunity_table as opportunity
        from crmkit_sfa import order_table as order

        parts.append(
            select(
                literal("order"),
                order.c.id,
                order.c.party_id,
                order.c.placed_at,
                order.c.total_net.cast(Numeric(18, 2)),
                order.c.currency,
            )
        )
        parts.append(
            select(
                literal("opportunity"),
                opportunity.c.id,
                opportunity.c.party_id,
                opportunity.c.closed_at,
                opportunity.c.amount.cast(Numeric(18, 2)),
                opportunity.c.currency,
            ).where(
                opportunity.c.status == "won",
                opportunity.c.closed_at.is_not(None),
                ~exists().where(order.c.opportunity_id == opportunity.c.id),
            )
        )
    return union_all(*parts).subquery("conversion")


def refresh_conversions(tx: Transaction, campaign_id: int) -> None:
    """Mark the campaign's members ``converted`` whose party converted within the window after
    their first touch: one UPDATE. A member whose message never left (``failed``,
    ``suppressed``, ``cancelled``) was not touched and never converts."""
    conv = conversions(tx)
    touched = func.coalesce(member.c.sent_at, member.c.queued_at, member.c.responded_at)
    within = and_(
        conv.c.party_id == member.c.party_id,
        conv.c.at >= touched,
        conv.c.at < _plus_days(tx, touched, window_days(tx)),
    )
    first_conversion = select(func.min(conv.c.at)).where(within).scalar_subquery()
    tx.conn.execute(
        update(member)
        .where(
            member.c.campaign_id == campaign_id,
            touched.is_not(None),
            member.c.status.not_in(NEVER_LEFT),
            member.c.converted_at.is_(None),
            exists().where(within),
        )
        .values(status=advanced("converted"), converted_at=first_conversion)
    )


def attributed(tx: Transaction, campaign_ids: Sequence[int]) -> list[Attributed]:
    """The campaigns' credited conversions and revenue per channel and currency, counting only
    conversions of parties ``tx.actor`` sees."""
    conv, touch = conversions(tx), touches()
    days = window_days(tx)
    visible = (
        []
        if sees_every_party(tx.hooks, tx.actor)
        else [conv.c.party_id.in_(seen_party_ids(tx.hooks, tx.actor))]
    )
    # Only the parties these campaigns touched: the other campaigns touching them still count.
    theirs = touches()
    touched_by_them = select(theirs.c.party_id).where(theirs.c.campaign_id.in_(list(campaign_ids)))
    # One row per conversion and campaign touching its party within the window before it.
    eligible = (
        select(
            conv.c.kind,
            conv.c.ref_id,
            conv.c.amount,
            conv.c.currency,
            touch.c.campaign_id,
            func.min(touch.c.channel).label("channel"),
            func.min(touch.c.touched_at).label("first_at"),
            func.max(touch.c.touched_at).label("last_at"),
        )
        .select_from(conv)
        .join(
            touch,
            and_(
                touch.c.party_id == conv.c.party_id,
                touch.c.touched_at <= conv.c.at,
                conv.c.at < _plus_days(tx, touch.c.touched_at, days),
            ),
        )
        .where(conv.c.party_id.in_(touched_by_them), *visible)
        .group_by(conv.c.kind, conv.c.ref_id, conv.c.amount, conv.c.currency, touch.c.campaign_id)
        .subquery("eligible")
    )
    one_conversion = (eligible.c.kind, eligible.c.ref_id)
    ranked = select(
        eligible,
        func.row_number()
        .over(partition_by=one_conversion, order_by=(eligible.c.first_at, eligible.c.campaign_id))
        .label("first_rank"),
        func.row_number()
        .over(
            partition_by=one_conversion,
            order_by=(eligible.c.last_at.desc(), eligible.c.campaign_id.desc()),
        )
        .label("last_rank"),
        func.count().over(partition_by=one_conversion).label("touching"),
    ).subquery("ranked")
    credit = select(
        ranked.c.campaign_id,
        ranked.c.channel,
        ranked.c.currency,
        func.count().label("conversions"),
        func.sum(case((ranked.c.first_rank == 1, ranked.c.amount))).label("first_touch"),
        func.sum(case((ranked.c.last_rank == 1, ranked.c.amount))).label("last_touch"),
        func.sum(ranked.c.amount / ranked.c.touching).label("linear"),
    ).where(ranked.c.campaign_id.in_(list(campaign_ids)))
    rows = tx.conn.execute(
        credit.group_by(ranked.c.campaign_id, ranked.c.channel, ranked.c.currency)
    ).all()
    return [
        Attributed(
            campaign_id=r.campaign_id,
            channel=r.channel,
            currency=r.currency,
            conversions=r.conversions,
            revenue={m: _money(getattr(r, m)) for m in MODELS},
        )
        for r in rows
    ]


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)
