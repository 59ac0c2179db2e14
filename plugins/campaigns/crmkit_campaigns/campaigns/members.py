"""A campaign's members as a reader sees them: only those whose party the reader may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import field, frozen
from sqlalchemy import Connection, Select, func, select

from crmkit import Actor, party_table, seen_parties, sees_every_party
from crmkit_campaigns.campaigns.definition import get_campaign
from crmkit_campaigns.campaigns.model import MemberCounts
from crmkit_campaigns.campaigns.tables import MEMBER_STATUSES, member


@frozen
class Member:
    """A party in a campaign: its channel, variant, status and milestones."""

    id: int
    party_id: int
    party_name: str
    occurrence: str
    channel: str | None
    variant_id: int | None
    in_test: bool = field(converter=bool)
    status: str
    email_id: int | None
    sms_id: int | None
    targeted_at: datetime
    queued_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    responded_at: datetime | None
    converted_at: datetime | None
    unsubscribed_at: datetime | None
    bounced_at: datetime | None
    detail: str | None


SHOWN = tuple(column.name for column in member.columns if column.name != "campaign_id")


def member_counts(conn: Connection, host: Any, actor: Actor, campaign_id: int) -> MemberCounts:
    """How many of the campaign's members the actor sees are at each status (every status named)."""
    get_campaign(conn, campaign_id)
    query = _seen(
        select(member.c.status, func.count()).where(member.c.campaign_id == campaign_id),
        host,
        actor,
    ).group_by(member.c.status)
    found = {status: count for status, count in conn.execute(query)}
    by_status = {status: int(found.get(status, 0)) for status in MEMBER_STATUSES}
    return MemberCounts(campaign_id, sum(by_status.values()), by_status)


def list_members(
    conn: Connection,
    host: Any,
    actor: Actor,
    campaign_id: int,
    *,
    status: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[Member]:
    """The campaign's members the actor sees, by id, ``limit`` after the member ``after``."""
    get_campaign(conn, campaign_id)
    query = select(member, party_table.c.display_name).where(
        member.c.campaign_id == campaign_id, member.c.id > after
    )
    if status is not None:
        query = query.where(member.c.status == status)
    query = _seen(query, host, actor).order_by(member.c.id).limit(limit)
    return [
        Member(
            **{name: row._mapping[name] for name in SHOWN},
            party_name=row.display_name,
        )
        for row in conn.execute(query)
    ]


def _seen(query: Select[Any], host: Any, actor: Actor) -> Select[Any]:
    query = query.join(party_table, party_table.c.id == member.c.party_id)
    if sees_every_party(host, actor):
        return query
    return query.where(seen_parties(host, actor))
