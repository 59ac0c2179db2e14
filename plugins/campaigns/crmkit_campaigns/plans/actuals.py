"""What a target's metric reached in a window: one set-based query per target.

* leads: prospects created in the window (parties created as prospects, converted since or not);
* conversions: prospects that became customers in the window;
* revenue: net order revenue placed in the window in the target's currency (the sfa plugin's
  orders; their lines of the product group), None when sfa is not loaded;
* reach: campaign members sent in the window.

A region keeps the parties whose first address is in it (the territory rule of the kernel);
a product group keeps leads and conversions whose source is a campaign of that product group,
the order lines of that group and the members of its campaigns. Every count is over the
parties ``actor`` sees.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    cast,
    func,
    literal,
    or_,
    select,
)

from crmkit import (
    Actor,
    contact_point_table,
    party_table,
    seen_parties,
    sees_every_party,
    territory_condition,
)
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.plans.service import CENT, Target

SOURCE_PREFIX = "campaign:"
"""The intake source of a campaign's responses: ``campaign:<id>``."""


def _party_conditions(host: Any, actor: Actor, region: str | None) -> list[ColumnElement[bool]]:
    """Conditions on ``party_table``: seen by ``actor``, first address in ``region``."""
    conditions = [] if sees_every_party(host, actor) else [seen_parties(host, actor)]
    if region is not None:
        covered = territory_condition(contact_point_table.c.key, [region])
        assert covered is not None  # a stored region is never empty
        conditions.append(
            party_table.c.id.in_(
                select(contact_point_table.c.party_id).where(
                    contact_point_table.c.kind == "address",
                    contact_point_table.c.position == 0,
                    covered,
                )
            )
        )
    return conditions


def _from_campaign_of_group(product_group: str) -> ColumnElement[bool]:
    """The party's source is a campaign promoting ``product_group``."""
    sources = select(literal(SOURCE_PREFIX) + cast(campaign.c.id, String)).where(
        campaign.c.product_group == product_group
    )
    return party_table.c.source.in_(sources)


def _leads(item: Target, start: datetime, end: datetime) -> Select[Any]:
    query = (
        select(func.count())
        .select_from(party_table)
        .where(
            party_table.c.created_at >= start,
            party_table.c.created_at < end,
            or_(party_table.c.role == "prospect", party_table.c.converted_at.is_not(None)),
        )
    )
    if item.product_group is not None:
        query = query.where(_from_campaign_of_group(item.product_group))
    return query


def _conversions(item: Target, start: datetime, end: datetime) -> Select[Any]:
    query = (
        select(func.count())
        .select_from(party_table)
        .where(
            party_table.c.role == "customer",
            party_table.c.converted_at >= start,
            party_table.c.converted_at < end,
        )
    )
    if item.product_group is not None:
        query = query.where(_from_campaign_of_group(item.product_group))
    return query


def _reach(item: Target, start: datetime, end: datetime) -> Select[Any]:
    query = (
        select(func.count())
        .select_from(member.join(party_table, party_table.c.id == member.c.party_id))
        .where(member.c.sent_at >= start, member.c.sent_at < end)
    )
    if item.product_group is not None:
        query = query.where(
            member.c.campaign_id.in_(
                select(campaign.c.id).where(campaign.c.product_group == item.product_group)
            )
        )
    return query


def _revenue(item: Target, start: datetime, end: datetime) -> Select[Any]:
    # Imported here: campaigns works without sfa, and only calls this when sfa is loaded.
    from crmkit_sfa import order_line_table, order_table

    placed = [
        order_table.c.placed_at >= start,
        order_table.c.placed_at < end,
        order_table.c.currency == item.currency,
    ]
    orders = order_table.join(party_table, party_table.c.id == order_table.c.party_id)
    if item.product_group is None:
        return (
            select(func.coalesce(func.sum(order_table.c.total_net), 0))
            .select_from(orders)
            .where(*placed)
        )
    return (
        select(func.coalesce(func.sum(order_line_table.c.net), 0))
        .select_from(orders.join(order_line_table, order_line_table.c.order_id == order_table.c.id))
        .where(*placed, order_line_table.c.product_group == item.product_group)
    )


QUERIES = {"leads": _leads, "conversions": _conversions, "reach": _reach, "revenue": _revenue}


def actual_of(
    host: Any, conn: Connection, actor: Actor, item: Target, start: datetime, end: datetime
) -> Decimal | None:
    """The target's metric from ``start`` until before ``end``; None when its source is not loaded."""
    if item.metric == "revenue" and "sfa" not in host.loaded:
        return None
    if end <= start:
        return Decimal(0)
    query = QUERIES[item.metric](item, start, end).where(
        *_party_conditions(host, actor, item.region)
    )
    # Text first: SQLite may sum amounts as floats, whose binary digits are not the cents.
    found = Decimal(str(conn.execute(query).scalar_one()))
    # Amounts in cents on both databases (SQLite would give 1.5500, PostgreSQL 1.55).
    return found.quantize(CENT) if item.metric == "revenue" else found
