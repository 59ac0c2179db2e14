"""Reading programmes, rules, tiers and rewards: what the other parts call.

Each function reads on the connection it is given and checks no permission: programmes are
not about parties, the caller has checked ``loyalty:programme.read`` or acts as the system.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, or_, select

from crmkit import NotFound
from crmkit_loyalty.programmes.model import (
    Programme,
    Reward,
    Rule,
    Tier,
    programme_of,
    reward_of,
    rule_of,
    tier_of,
)
from crmkit_loyalty.programmes.tables import programme, reward, rule, tier


def get_programme(conn: Connection, programme_id: int) -> Programme:
    """The programme; NotFound if there is none."""
    found = conn.execute(select(programme).where(programme.c.id == programme_id)).first()
    if found is None:
        raise NotFound(f"programme {programme_id} does not exist")
    return programme_of(found)


def list_programmes(conn: Connection) -> list[Programme]:
    """Every programme, active ones first, then by name."""
    rows = conn.execute(
        select(programme).order_by(programme.c.status, programme.c.name, programme.c.id)
    )
    return [programme_of(r) for r in rows]


def active_programmes(conn: Connection) -> list[Programme]:
    """The programmes members may join and earn in, by id."""
    rows = conn.execute(
        select(programme).where(programme.c.status == "active").order_by(programme.c.id)
    )
    return [programme_of(r) for r in rows]


def active_rules(conn: Connection, programme_id: int, kind: str, on: date) -> list[Rule]:
    """The rules of ``kind`` that earn on day ``on``: active, valid that day, of an active
    programme; by id."""
    rows = conn.execute(
        select(rule)
        .join(programme, programme.c.id == rule.c.programme_id)
        .where(
            rule.c.programme_id == programme_id,
            rule.c.kind == kind,
            rule.c.active == 1,
            programme.c.status == "active",
            or_(rule.c.valid_from.is_(None), rule.c.valid_from <= on),
            or_(rule.c.valid_until.is_(None), rule.c.valid_until >= on),
        )
        .order_by(rule.c.id)
    )
    return [rule_of(r) for r in rows]


def rules_of(conn: Connection, programme_id: int) -> list[Rule]:
    """Every rule of the programme, active or not, by kind then id."""
    rows = conn.execute(
        select(rule).where(rule.c.programme_id == programme_id).order_by(rule.c.kind, rule.c.id)
    )
    return [rule_of(r) for r in rows]


def get_rule(conn: Connection, programme_id: int, rule_id: int) -> Rule:
    """The programme's rule; NotFound if it has none of that id."""
    found = conn.execute(
        select(rule).where(rule.c.id == rule_id, rule.c.programme_id == programme_id)
    ).first()
    if found is None:
        raise NotFound(f"rule {rule_id} of programme {programme_id} does not exist")
    return rule_of(found)


def tiers_of(conn: Connection, programme_id: int) -> list[Tier]:
    """The programme's tiers, lowest rank (the entry tier) first."""
    rows = conn.execute(
        select(tier).where(tier.c.programme_id == programme_id).order_by(tier.c.rank)
    )
    return [tier_of(r) for r in rows]


def get_tier(conn: Connection, tier_id: int) -> Tier:
    """The tier; NotFound if there is none."""
    found = conn.execute(select(tier).where(tier.c.id == tier_id)).first()
    if found is None:
        raise NotFound(f"tier {tier_id} does not exist")
    return tier_of(found)


def entry_tier(conn: Connection, programme_id: int) -> Tier:
    """The tier of rank 0 every new member starts in."""
    found = conn.execute(
        select(tier).where(tier.c.programme_id == programme_id, tier.c.rank == 0)
    ).first()
    if found is None:
        raise NotFound(f"programme {programme_id} does not exist")
    return tier_of(found)


def rewards_of(conn: Connection, programme_id: int, *, active_only: bool = False) -> list[Reward]:
    """The programme's rewards, cheapest first."""
    query = select(reward).where(reward.c.programme_id == programme_id)
    if active_only:
        query = query.where(reward.c.active == 1)
    rows = conn.execute(query.order_by(reward.c.points, reward.c.id))
    return [reward_of(r) for r in rows]


def get_reward(conn: Connection, reward_id: int) -> Reward:
    """The reward; NotFound if there is none."""
    found = conn.execute(select(reward).where(reward.c.id == reward_id)).first()
    if found is None:
        raise NotFound(f"reward {reward_id} does not exist")
    return reward_of(found)
