"""The ledger part's demo data: members of "Acme Rewards" with two years of history.

About 200 demo customers are members, each with earnings (purchases brought over from the
shop's former scheme: source ``import``; half of them with points carried over, which keep
the date they were first earned and so expire sooner), some redemptions and, where points
went unspent long enough, expiries. Each member's history is played forward in time here, first in,
first out, and written as a restore would, with bulk inserts; tiers follow the points
earned within the programme's qualification period. The ledger balances: ``crmkit loyalty
check`` passes on the demo.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from attrs import define, field
from sqlalchemy import Connection, bindparam, insert, select, update

from crmkit import Crm, party_table
from crmkit_loyalty.ledger.numbers import member_number
from crmkit_loyalty.ledger.tables import allocation, entry, lot, member, redemption, tier_change
from crmkit_loyalty.programmes.months import add_months
from crmkit_loyalty.programmes.tables import programme, reward, tier

PROGRAMME = "Acme Rewards"
MEMBERS = 200
HISTORY_DAYS = 730
SOURCE = "import"


@define
class _Lot:
    reference: str
    points: int
    expires_at: datetime | None
    remaining: int


@define
class _History:
    """One member's entries as played forward: (kind, points, source, reference, at, expires)."""

    entries: list[tuple[str, int, str, str, datetime, datetime | None]] = field(factory=list)
    taken: list[tuple[str, str, int]] = field(factory=list)
    """(taking entry's reference, lot's reference, points)."""
    redeemed: list[tuple[str, int, int | None, datetime]] = field(factory=list)
    lots: list[_Lot] = field(factory=list)
    balance: int = 0


def _expire_due(history: _History, until: datetime) -> None:
    for held in sorted(history.lots, key=lambda h: (h.expires_at or until, h.reference)):
        if held.expires_at is not None and held.expires_at <= until and held.remaining > 0:
            ref = f"expire:{held.reference}"
            history.entries.append(
                ("expire", -held.remaining, "expiry", ref, held.expires_at, None)
            )
            history.taken.append((ref, held.reference, held.remaining))
            history.balance -= held.remaining
            held.remaining = 0


def _spend(history: _History, reference: str, points: int, at: datetime) -> None:
    wanted = points
    order = sorted(
        (h for h in history.lots if h.remaining > 0),
        key=lambda h: (h.expires_at is None, h.expires_at or at, h.reference),
    )
    for held in order:
        take = min(wanted, held.remaining)
        if take:
            history.taken.append((reference, held.reference, take))
            held.remaining -= take
            wanted -= take
    history.balance -= points


def _play(
    rng: random.Random,
    number: int,
    enrolled: datetime,
    now: datetime,
    months: int | None,
    rewards: list[Any],
) -> _History:
    history = _History()
    if rng.random() < 0.5:
        # Points carried over from the former scheme keep the date they were earned there,
        # and so expire sooner: the demo's expiries come mostly from these.
        points = rng.choice((300, 500, 800, 1200))
        earned = enrolled - timedelta(days=rng.randint(60, 540))
        expires = None if months is None else add_months(earned, months)
        ref = f"demo-{number}-opening"
        history.entries.append(("earn", points, SOURCE, ref, enrolled, expires))
        history.lots.append(_Lot(ref, points, expires, points))
        history.balance += points
    moments = sorted(
        enrolled + timedelta(seconds=rng.randint(0, int((now - enrolled).total_seconds())))
        for _ in range(rng.randint(3, 24))
    )
    for i, at in enumerate(moments):
        _expire_due(history, at)
        if history.balance >= 300 and rng.random() < 0.25:
            affordable = [r for r in rewards if r.points <= history.balance]
            chosen = rng.choice(affordable) if affordable else None
            points = chosen.points if chosen else rng.randrange(100, history.balance, 50)
            ref = f"demo-{number}-r{i}"
            _spend(history, ref, points, at)
            history.entries.append(("redeem", -points, "redemption", ref, at, None))
            history.redeemed.append((ref, points, chosen.id if chosen else None, at))
            continue
        points = rng.choice((25, 40, 60, 80, 120, 150, 240, 400))
        expires = None if months is None else add_months(at, months)
        ref = f"demo-{number}-e{i}"
        history.entries.append(("earn", points, SOURCE, ref, at, expires))
        history.lots.append(_Lot(ref, points, expires, points))
        history.balance += points
    _expire_due(history, now)
    return history


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    found = conn.execute(select(programme).where(programme.c.name == PROGRAMME)).one_or_none()
    if found is None:
        return
    tiers = conn.execute(
        select(tier.c.id, tier.c.rank, tier.c.threshold)
        .where(tier.c.programme_id == found.id)
        .order_by(tier.c.rank)
    ).all()
    rewards = conn.execute(
        select(reward.c.id, reward.c.points).where(
            reward.c.programme_id == found.id,
            reward.c.active == 1,
            reward.c.min_tier_rank == 0,
            # Rewards in limited stock are left out: the demo does not count stock down.
            reward.c.stock.is_(None),
        )
    ).all()
    customers = list(
        conn.execute(
            select(party_table.c.id)
            .where(party_table.c.role == "customer")
            .order_by(party_table.c.id)
            .limit(MEMBERS * 2)
        ).scalars()
    )
    chosen = sorted(rng.sample(customers, min(MEMBERS, len(customers))))
    if not chosen or not tiers:
        return
    histories: dict[int, tuple[datetime, _History]] = {}
    for number, party_id in enumerate(chosen):
        enrolled = now - timedelta(days=rng.randint(14, HISTORY_DAYS))
        histories[party_id] = (
            enrolled,
            _play(rng, number, enrolled, now, found.points_expire_months, list(rewards)),
        )
    since = add_months(now, -found.qualification_months)
    conn.execute(
        insert(member),
        [
            {
                "programme_id": found.id,
                "party_id": party_id,
                "number": f"~demo{party_id}",
                "status": "active",
                "tier_id": tiers[0].id,
                "tier_since": enrolled,
                "balance": history.balance,
                "lifetime_points": sum(e[1] for e in history.entries if e[0] == "earn"),
                "enrolled_at": enrolled,
                "updated_at": now,
                "version": 1,
            }
            for party_id, (enrolled, history) in histories.items()
        ],
    )
    ids = dict(
        conn.execute(
            select(member.c.party_id, member.c.id).where(
                member.c.programme_id == found.id, member.c.party_id.in_(chosen)
            )
        ).all()
    )
    _numbers_and_tiers(conn, ids, histories, list(tiers), since, now, found.qualification_months)
    _ledger(conn, ids, histories)


def _numbers_and_tiers(
    conn: Connection,
    ids: dict[int, int],
    histories: dict[int, tuple[datetime, _History]],
    tiers: list[Any],
    since: datetime,
    now: datetime,
    months: int,
) -> None:
    rows = []
    changes = []
    for party_id, member_id in ids.items():
        enrolled, history = histories[party_id]
        qualifying = sum(e[1] for e in history.entries if e[0] == "earn" and e[4] >= since)
        reached = [t for t in tiers if t.threshold <= qualifying][-1]
        changes.append(
            {
                "member_id": member_id,
                "from_tier_id": None,
                "to_tier_id": tiers[0].id,
                "reason": "enrolled",
                "changed_by": None,
                "changed_at": enrolled,
            }
        )
        tier_since = enrolled
        if reached.id != tiers[0].id:
            tier_since = max(enrolled, now - timedelta(days=30))
            changes.append(
                {
                    "member_id": member_id,
                    "from_tier_id": tiers[0].id,
                    "to_tier_id": reached.id,
                    "reason": "qualified",
                    "changed_by": None,
                    "changed_at": tier_since,
                }
            )
        rows.append(
            {
                "m_id": member_id,
                "m_number": member_number(member_id),
                "m_tier": reached.id,
                "m_since": tier_since,
                # A member above the entry tier is reviewed when its qualification period ends.
                "m_review": None if reached.rank == 0 else add_months(tier_since, months),
            }
        )
    conn.execute(
        update(member)
        .where(member.c.id == bindparam("m_id"))
        .values(
            number=bindparam("m_number"),
            tier_id=bindparam("m_tier"),
            tier_since=bindparam("m_since"),
            tier_review_on=bindparam("m_review"),
        ),
        rows,
    )
    conn.execute(insert(tier_change), changes)


def _ledger(
    conn: Connection, ids: dict[int, int], histories: dict[int, tuple[datetime, _History]]
) -> None:
    def rows(expired: bool) -> list[dict[str, Any]]:
        return [
            {
                "member_id": ids[party_id],
                "kind": kind,
                "points": points,
                "source": source,
                # An expiry's reference is the expired lot's entry id, as the job writes it.
                "reference": str(id_of(ids[party_id], reference[7:])) if expired else reference,
                "description": CARRIED if reference.endswith("-opening") else _DESCRIPTIONS[kind],
                "expires_at": expires,
                "created_at": at,
            }
            for party_id, (_, history) in histories.items()
            for kind, points, source, reference, at, expires in history.entries
            if (kind == "expire") == expired
        ]

    known: dict[tuple[int, str], int] = {}

    def id_of(member_id: int, reference: str) -> int:
        if reference.startswith("expire:"):
            return known[(member_id, str(id_of(member_id, reference[7:])))]
        return known[(member_id, reference)]

    def read_ids() -> None:
        found = conn.execute(
            select(entry.c.member_id, entry.c.reference, entry.c.id).where(
                entry.c.member_id.in_(list(ids.values()))
            )
        )
        known.update({(m, r): i for m, r, i in found})

    conn.execute(insert(entry), rows(expired=False))
    read_ids()
    expiries = rows(expired=True)
    if expiries:
        conn.execute(insert(entry), expiries)
        read_ids()
    conn.execute(
        insert(lot),
        [
            {
                "entry_id": id_of(ids[party_id], held.reference),
                "member_id": ids[party_id],
                "remaining": held.remaining,
                "expires_at": held.expires_at,
            }
            for party_id, (_, history) in histories.items()
            for held in history.lots
        ],
    )
    taken = [
        {
            "entry_id": id_of(ids[party_id], by),
            "lot_id": id_of(ids[party_id], held),
            "points": points,
        }
        for party_id, (_, history) in histories.items()
        for by, held, points in history.taken
    ]
    if taken:
        conn.execute(insert(allocation), taken)
    redeemed = [
        {
            "member_id": ids[party_id],
            "reward_id": reward_id,
            "points": points,
            "status": "completed",
            "entry_id": id_of(ids[party_id], reference),
            "reference": reference,
            "created_at": at,
        }
        for party_id, (_, history) in histories.items()
        for reference, points, reward_id, at in history.redeemed
    ]
    if redeemed:
        conn.execute(insert(redemption), redeemed)


CARRIED = "Points carried over from the former scheme"
_DESCRIPTIONS = {
    "earn": "Purchase (brought over from the former scheme)",
    "redeem": None,
    "expire": "Points expired",
}
