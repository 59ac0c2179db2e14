"""Entering parties into a campaign as members, in one INSERT … SELECT.

Each member gets the first channel of the campaign, email before SMS, on which the party
has ``granted`` consent for the campaign's purpose and a contact point (an address, a
number); a party with no such channel does not become a member. Its variant follows a
deterministic split of the party id, so that targeting again (or a trigger running
again) gives the same answer, and the A/B test share gets the variants first while the
rest wait (variant NULL) for the winner.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from crmkit import (
    Id,
    Transaction,
    UTCDateTime,
    consent_table,
    contact_point_table,
    seen_party_ids,
    sees_every_party,
    utcnow,
)
from crmkit_campaigns.campaigns.definition import get_campaign
from crmkit_campaigns.campaigns.model import Campaign, Variant
from crmkit_campaigns.campaigns.tables import member

CONTACT_KIND = {"email": "email", "sms": "phone"}
"""The kernel's contact point a channel writes to."""
SPREAD = 37
"""Multiplied with the party id before ``% 100``: consecutive ids fall into every bucket in
turn (37 and 100 share no factor), so a test share of small campaigns is honoured too."""


def assign(tx: Transaction, campaign_id: int, party_ids: Select[Any]) -> int:
    """Enter the parties of ``party_ids`` (a column ``party_id``, and optionally ``occurrence``
    for a triggered campaign) as ``targeted`` members; how many were entered.

    Only parties ``tx.actor`` sees and that consent on one of the campaign's channels are
    entered; a party already a member (for the same occurrence) is left as it is.
    """
    found = get_campaign(tx.conn, campaign_id)
    targets = party_ids.subquery("targets")
    party_id = targets.c.party_id
    occurrence: ColumnElement[Any] = (
        targets.c.occurrence if "occurrence" in targets.c else literal("", String)
    )
    reachable = {
        channel: and_(_granted(party_id, found.purpose, channel), _reachable(party_id, channel))
        for channel in ("email", "sms")
        if _variants_on(found, channel)
    }
    if not reachable:
        return 0
    channel = case(
        *((condition, literal(name, String)) for name, condition in reachable.items()),
        else_=null(),
    )
    bucket = (party_id * SPREAD) % 100
    ab_channel = _ab_channel(found)
    in_test = (
        case((and_(channel == ab_channel, bucket < found.test_share), 1), else_=0)
        if ab_channel is not None and found.test_share < 100
        else literal(0, Integer)
    )
    variant_id = case(
        *((channel == name, _variant_choice(found, name, bucket)) for name in reachable),
        else_=null(),
    )
    where: list[ColumnElement[bool]] = [or_(*reachable.values())]
    if not sees_every_party(tx.hooks, tx.actor):
        where.append(party_id.in_(seen_party_ids(tx.hooks, tx.actor)))
    rows = select(
        literal(campaign_id, Id),
        party_id,
        occurrence,
        channel,
        variant_id,
        in_test,
        literal("targeted", String),
        literal(utcnow(), UTCDateTime()),
    ).where(*where)
    columns = ["campaign_id", "party_id", "occurrence", "channel", "variant_id", "in_test"]
    dialect = postgresql if tx.conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(member)
        .from_select([*columns, "status", "targeted_at"], rows)
        .on_conflict_do_nothing()
    )
    if tx.conn.dialect.name == "postgresql":
        # psycopg does not count the rows of an INSERT … SELECT … ON CONFLICT; a CTE does.
        entered = statement.returning(member.c.id).cte("entered")
        return int(tx.conn.execute(select(func.count()).select_from(entered)).scalar_one())
    return int(tx.conn.execute(statement).rowcount)


def _variants_on(found: Campaign, channel: str) -> list[Variant]:
    return [v for v in found.variants if v.channel == channel]


def _ab_channel(found: Campaign) -> str | None:
    """The channel with more than one variant, if any (a campaign tests one channel at most)."""
    for channel in ("email", "sms"):
        if len(_variants_on(found, channel)) > 1:
            return channel
    return None


def _variant_choice(
    found: Campaign, channel: str, bucket: ColumnElement[int]
) -> ColumnElement[Any]:
    """The variant of a member on ``channel``: the only one, or by the A/B split."""
    variants = _variants_on(found, channel)
    if len(variants) == 1:
        return literal(variants[0].id, Id)
    # Within the test share, the bucket is spread again over 0..99 for the splits.
    spread = (bucket * 100) // found.test_share
    limit, whens = 0, []
    for v in variants[:-1]:
        limit += v.split
        whens.append((spread < limit, literal(v.id, Id)))
    split = case(*whens, else_=literal(variants[-1].id, Id))
    if found.test_share == 100:
        return split
    waiting = literal(found.winner_variant_id, Id) if found.winner_variant_id else null()
    return case((bucket < found.test_share, split), else_=waiting)


def _granted(party_id: ColumnElement[Any], purpose: str, channel: str) -> ColumnElement[bool]:
    """Whether the party's consent in force (its latest statement) for ``purpose`` on
    ``channel`` is ``granted``, as the channels plugin decides at send."""
    stated = consent_table.alias("stated")
    later = consent_table.alias("later")
    return exists().where(
        stated.c.party_id == party_id,
        stated.c.purpose == purpose,
        stated.c.channel == channel,
        stated.c.status == "granted",
        ~exists().where(
            later.c.party_id == stated.c.party_id,
            later.c.purpose == stated.c.purpose,
            later.c.channel == stated.c.channel,
            later.c.id > stated.c.id,
        ),
    )


def _reachable(party_id: ColumnElement[Any], channel: str) -> ColumnElement[bool]:
    """Whether the party has an address (email) or a number (SMS) to write to."""
    point = contact_point_table.alias(f"{channel}_point")
    return exists().where(point.c.party_id == party_id, point.c.kind == CONTACT_KIND[channel])
