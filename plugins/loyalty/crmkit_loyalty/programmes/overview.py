"""A programme with everything defined in it, and how many members each tier has."""

from __future__ import annotations

from attrs import frozen
from sqlalchemy import func, select

from crmkit import Transaction, party_table, seen_parties, sees_every_party
from crmkit_loyalty.ledger.tables import member
from crmkit_loyalty.programmes.model import Programme, Reward, Rule, Tier
from crmkit_loyalty.programmes.service import get_programme, rewards_of, rules_of, tiers_of


@frozen
class TierMembers:
    """How many members a tier has, among those whose party the reader sees."""

    tier_id: int
    members: int


@frozen
class ProgrammeDetail:
    """A programme, its rules, tiers (lowest first), rewards, and members per tier."""

    programme: Programme
    rules: list[Rule]
    tiers: list[Tier]
    rewards: list[Reward]
    members: list[TierMembers]


def members_per_tier(tx: Transaction, programme_id: int) -> dict[int, int]:
    """The programme's members by tier id, counting only those whose party ``tx.actor`` sees
    (an erased party's only for those who see every party)."""
    query = select(member.c.tier_id, func.count()).where(member.c.programme_id == programme_id)
    if not sees_every_party(tx.hooks, tx.actor):
        query = query.join(party_table, party_table.c.id == member.c.party_id).where(
            seen_parties(tx.hooks, tx.actor)
        )
    return {tier_id: n for tier_id, n in tx.conn.execute(query.group_by(member.c.tier_id))}


def programme_detail(tx: Transaction, programme_id: int) -> ProgrammeDetail:
    found = get_programme(tx.conn, programme_id)
    tiers = tiers_of(tx.conn, programme_id)
    counts = members_per_tier(tx, programme_id)
    return ProgrammeDetail(
        programme=found,
        rules=rules_of(tx.conn, programme_id),
        tiers=tiers,
        rewards=rewards_of(tx.conn, programme_id),
        members=[TierMembers(t.id, counts.get(t.id, 0)) for t in tiers],
    )


def members_per_programme(tx: Transaction) -> dict[int, int]:
    """How many members each programme has, among the parties ``tx.actor`` sees."""
    query = select(member.c.programme_id, func.count())
    if not sees_every_party(tx.hooks, tx.actor):
        query = query.join(party_table, party_table.c.id == member.c.party_id).where(
            seen_parties(tx.hooks, tx.actor)
        )
    return {
        programme_id: n
        for programme_id, n in tx.conn.execute(query.group_by(member.c.programme_id))
    }
