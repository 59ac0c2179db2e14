"""Tiers over time: members qualify upwards as they earn (never down), the daily review keeps
or lowers their tier by the programme's downgrade rule, and a manager moves a member by
hand. Every move is recorded and announced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from crmkit_loyalty.ledger.service import earn, enrol
from crmkit_loyalty.ledger.tables import entry, member, tier_change
from crmkit_loyalty.programmes.months import add_months
from crmkit_loyalty.programmes.programmes_edit import create_programme
from crmkit_loyalty.programmes.service import tiers_of
from crmkit_loyalty.programmes.tiers import requalify
from crmkit_loyalty.programmes.tiers_edit import create_tier
from sqlalchemy import insert, select, update

from crmkit import Crm, Event, hookimpl, utcnow
from crmkit.testing import register_plugin

LADDER = (("Silver", 1000, "1.25"), ("Gold", 5000, "1.5"), ("Platinum", 15000, "2"))


class Recorder:
    """Keeps every tier change event delivered after a commit."""

    def __init__(self) -> None:
        self.changes: list[dict[str, Any]] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        if event.type == "loyalty.tier_changed":
            self.changes.append(event.payload)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def crm(make_loyalty: Any, recorder: Recorder) -> Crm:
    return make_loyalty(plugins=(register_plugin(recorder, name="recorder"),))


def programme_with_ladder(crm: Crm, downgrade: str = "one_step") -> dict[str, int]:
    """A programme qualifying over 12 months with Member, Silver, Gold, Platinum: tier ids by name."""
    with crm.transaction() as tx:
        made = create_programme(
            tx, {"name": "Acme Rewards", "currency": "EUR", "downgrade": downgrade}
        )
        for rank, (name, threshold, multiplier) in enumerate(LADDER, start=1):
            create_tier(
                tx,
                made.id,
                {"name": name, "rank": rank, "threshold": threshold, "multiplier": multiplier},
            )
        return {t.name: t.id for t in tiers_of(tx.conn, made.id)} | {"programme": made.id}


def new_member(crm: Crm, programme_id: int, party_id: int) -> int:
    with crm.transaction() as tx:
        return enrol(tx, programme_id, party_id).id


def backdated(crm: Crm, member_id: int, points: int, days_ago: int, **row: Any) -> int:
    """An entry written ``days_ago`` days ago, as the ledger would have written it then."""
    with crm.transaction() as tx:
        return int(
            tx.conn.execute(
                insert(entry)
                .values(
                    member_id=member_id,
                    kind=row.pop("kind", "earn"),
                    points=points,
                    source=row.pop("source", "sfa.order"),
                    reference=row.pop("reference", f"order-{days_ago}-{points}"),
                    created_at=utcnow() - timedelta(days=days_ago),
                    **row,
                )
                .returning(entry.c.id)
            ).scalar_one()
        )


def standing(crm: Crm, member_id: int) -> Any:
    with crm.read() as conn:
        return conn.execute(select(member).where(member.c.id == member_id)).one()


def history(crm: Crm, member_id: int) -> list[tuple[int | None, int, str]]:
    with crm.read() as conn:
        rows = conn.execute(
            select(tier_change.c.from_tier_id, tier_change.c.to_tier_id, tier_change.c.reason)
            .where(tier_change.c.member_id == member_id)
            .order_by(tier_change.c.id)
        )
        return [tuple(r) for r in rows]


def requalified(crm: Crm, member_id: int) -> None:
    with crm.transaction() as tx:
        requalify(tx, member_id)


def test_earning_past_several_thresholds_moves_the_member_up_to_the_highest_at_once(
    crm: Crm, new_party: Any, recorder: Recorder
) -> None:
    tiers = programme_with_ladder(crm)
    party_id = new_party()
    member_id = new_member(crm, tiers["programme"], party_id)
    before = utcnow()
    with crm.transaction() as tx:
        earn(tx, member_id, 400, source="sfa.order", reference="1")
    assert standing(crm, member_id).tier_id == tiers["Member"]
    with crm.transaction() as tx:
        earn(tx, member_id, 5600, source="sfa.order", reference="2")

    now = standing(crm, member_id)
    assert now.tier_id == tiers["Gold"]
    assert now.tier_since >= before
    assert now.tier_review_on == add_months(now.tier_since, 12)
    assert history(crm, member_id)[-1] == (tiers["Member"], tiers["Gold"], "qualified")
    assert recorder.changes == [
        {
            "member_id": member_id,
            "party_id": party_id,
            "programme_id": tiers["programme"],
            "from_tier_id": tiers["Member"],
            "from_rank": 0,
            "to_tier_id": tiers["Gold"],
            "to_rank": 2,
            "reason": "qualified",
            "points": 6000,
        }
    ]


def test_requalifying_never_moves_a_member_down_nor_records_a_standstill(
    crm: Crm, new_party: Any
) -> None:
    tiers = programme_with_ladder(crm)
    member_id = new_member(crm, tiers["programme"], new_party())
    with crm.transaction() as tx:
        tx.conn.execute(
            update(member).where(member.c.id == member_id).values(tier_id=tiers["Platinum"])
        )
    backdated(crm, member_id, 1200, days_ago=3)
    requalified(crm, member_id)
    requalified(crm, member_id)
    assert standing(crm, member_id).tier_id == tiers["Platinum"]
    assert [reason for _, _, reason in history(crm, member_id)] == ["enrolled"]


def test_only_earnings_within_the_qualification_period_less_their_reversals_count(
    crm: Crm, new_party: Any
) -> None:
    tiers = programme_with_ladder(crm)
    member_id = new_member(crm, tiers["programme"], new_party())
    backdated(crm, member_id, 4000, days_ago=400)  # before the last 12 months
    reversed_id = backdated(crm, member_id, 800, days_ago=20)
    backdated(
        crm,
        member_id,
        -800,
        days_ago=10,
        kind="reverse",
        source="reversal",
        reference="r1",
        reverses_id=reversed_id,
    )
    old_id = backdated(crm, member_id, 300, days_ago=380)
    # Reversing an earning from before the period takes nothing from the period's points.
    backdated(
        crm,
        member_id,
        -300,
        days_ago=5,
        kind="reverse",
        source="reversal",
        reference="r2",
        reverses_id=old_id,
    )
    backdated(crm, member_id, -200, days_ago=4, kind="redeem", source="redemption")
    backdated(crm, member_id, 900, days_ago=30)
    requalified(crm, member_id)
    assert standing(crm, member_id).tier_id == tiers["Member"]

    backdated(crm, member_id, 100, days_ago=1)
    requalified(crm, member_id)
    assert standing(crm, member_id).tier_id == tiers["Silver"]


def due_for_review(crm: Crm, member_id: int, tier_id: int) -> None:
    """Put the member in ``tier_id`` with a review date that passed yesterday."""
    with crm.transaction() as tx:
        tx.conn.execute(
            update(member)
            .where(member.c.id == member_id)
            .values(tier_id=tier_id, tier_review_on=utcnow() - timedelta(days=1))
        )


@pytest.mark.parametrize(
    ("downgrade", "lands_in"), [("one_step", "Gold"), ("to_qualified", "Silver")]
)
def test_the_review_lowers_a_member_who_no_longer_qualifies_by_the_programme_rule(
    crm: Crm, new_party: Any, recorder: Recorder, downgrade: str, lands_in: str
) -> None:
    tiers = programme_with_ladder(crm, downgrade)
    lapsed = new_member(crm, tiers["programme"], new_party())
    keeper = new_member(crm, tiers["programme"], new_party(first_name="Grace"))
    not_due = new_member(crm, tiers["programme"], new_party(first_name="Alan"))
    due_for_review(crm, lapsed, tiers["Platinum"])
    backdated(crm, lapsed, 2000, days_ago=100)
    due_for_review(crm, keeper, tiers["Silver"])
    backdated(crm, keeper, 1500, days_ago=100)
    with crm.transaction() as tx:
        tx.conn.execute(
            update(member)
            .where(member.c.id == not_due)
            .values(tier_id=tiers["Gold"], tier_review_on=utcnow() + timedelta(days=1))
        )
    recorder.changes.clear()

    started = utcnow()
    assert crm.jobs.run("loyalty.review_tiers").ok
    lowered = standing(crm, lapsed)
    assert lowered.tier_id == tiers[lands_in]
    assert lowered.tier_review_on == add_months(lowered.tier_since, 12)
    assert history(crm, lapsed)[-1] == (tiers["Platinum"], tiers[lands_in], "downgraded")
    kept = standing(crm, keeper)
    assert kept.tier_id == tiers["Silver"]
    assert kept.tier_review_on is not None and kept.tier_review_on >= add_months(started, 12)
    assert standing(crm, not_due).tier_id == tiers["Gold"]
    assert [(c["member_id"], c["reason"], c["points"]) for c in recorder.changes] == [
        (lapsed, "downgraded", 2000)
    ]

    # Run again the same day: everyone reviewed has a review date ahead, nothing moves.
    assert crm.jobs.run("loyalty.review_tiers").ok
    assert standing(crm, lapsed).tier_id == tiers[lands_in]
    assert len(history(crm, lapsed)) == 2 and len(recorder.changes) == 1


def test_a_member_lowered_to_the_entry_tier_has_no_review_left(crm: Crm, new_party: Any) -> None:
    tiers = programme_with_ladder(crm, "to_qualified")
    member_id = new_member(crm, tiers["programme"], new_party())
    due_for_review(crm, member_id, tiers["Gold"])
    assert crm.jobs.run("loyalty.review_tiers").ok
    lowered = standing(crm, member_id)
    assert lowered.tier_id == tiers["Member"] and lowered.tier_review_on is None


def test_the_review_takes_members_in_batches(make_loyalty: Any, new_party: Any) -> None:
    # The same database as new_party's CRM, reviewing two members per transaction.
    crm = make_loyalty(loyalty={"programmes": {"review_batch": 2}}, create_tables=False)
    tiers = programme_with_ladder(crm)
    members = []
    for i in range(5):
        members.append(new_member(crm, tiers["programme"], new_party(first_name=f"P{i}")))
    for member_id in members:
        due_for_review(crm, member_id, tiers["Silver"])
    assert crm.jobs.run("loyalty.review_tiers").ok
    assert {standing(crm, m).tier_id for m in members} == {tiers["Member"]}
