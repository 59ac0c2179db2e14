"""Members as a campaigns segment criterion (``loyalty.member``), run through the campaigns
plugin's real segment compiler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from crmkit_campaigns.segments.targets import compile_segment
from crmkit_loyalty.ledger.service import earn

from crmkit import Actor, Crm, ValidationError

if TYPE_CHECKING:
    from conftest import Loyalty, LoyaltyMaker, PartyMaker, Staff

CHANNELS = {
    "from_address": "Acme News <news@acme.example>",
    "public_url": "https://crm.acme.example",
    "link_secret": "a-test-secret-of-at-least-32-characters",
}
SILVER = {"name": "Silver", "rank": 1, "threshold": 1000}


@pytest.fixture
def crm(make_loyalty: LoyaltyMaker) -> Crm:
    return make_loyalty(with_plugins=("channels", "campaigns"), settings={"channels": CHANNELS})


def members(crm: Crm, actor: Actor, **options: Any) -> set[int]:
    definition = {"criterion": "loyalty.member", "op": "is", "with": options}
    with crm.transaction(actor) as tx:
        return {row.party_id for row in tx.conn.execute(compile_segment(tx, definition))}


def test_members_of_a_programme_by_tier_balance_and_lifetime_points(
    loyalty: Loyalty, new_party: PartyMaker, staff: Staff
) -> None:
    club = loyalty.programme("Club", tiers=(SILVER,))
    other = loyalty.programme("Other")
    ada, bob, cleo, dan = (new_party(first_name=n) for n in ("Ada", "Bob", "Cleo", "Dan"))
    ada_member, bob_member = loyalty.enrol(club, ada), loyalty.enrol(club, bob)
    cleo_member = loyalty.enrol(club, cleo)
    loyalty.enrol(other, dan)
    with loyalty.crm.transaction() as tx:
        earn(tx, ada_member, 300, source="test", reference="1")
        earn(tx, bob_member, 50, source="test", reference="1")
    loyalty.put_in_tier(bob_member, "Silver")
    from crmkit_loyalty.ledger.tables import member
    from sqlalchemy import update

    with loyalty.crm.transaction() as tx:
        tx.conn.execute(update(member).where(member.c.id == cleo_member).values(status="suspended"))
    mia = staff.marketer

    assert members(loyalty.crm, mia, programme=club) == {ada, bob}
    assert members(loyalty.crm, mia, programme=str(other)) == {dan}
    assert members(loyalty.crm, mia, programme=club, tier="Silver") == {bob}
    assert members(loyalty.crm, mia, programme=club, tier="sILVER") == {bob}  # any case
    assert members(loyalty.crm, mia, programme=club, tier="Gold") == set()
    assert members(loyalty.crm, mia, programme=club, min_balance=100) == {ada}
    assert members(loyalty.crm, mia, programme=club, min_lifetime_points=50) == {ada, bob}
    definition = {"criterion": "loyalty.member", "op": "is_not", "with": {"programme": club}}
    with loyalty.crm.transaction(mia) as tx:
        outside = {r.party_id for r in tx.conn.execute(compile_segment(tx, definition))}
    assert {cleo, dan} <= outside and not {ada, bob} & outside


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({}, "definition.with.programme"),
        ({"programme": "1.5"}, "definition.with.programme"),
        ({"programme": 0}, "definition.with.programme"),
        ({"programme": 1, "min_balance": -1}, "definition.with.min_balance"),
        ({"programme": 1, "colour": "red"}, "definition.with.colour"),
    ],
)
def test_bad_parameters_are_refused_naming_them(
    loyalty: Loyalty, staff: Staff, options: dict[str, Any], field: str
) -> None:
    definition = {"criterion": "loyalty.member", "op": "is", "with": options}
    with pytest.raises(ValidationError) as refused, loyalty.crm.transaction(staff.marketer) as tx:
        compile_segment(tx, definition)
    assert refused.value.field == field


def test_the_criterion_module_loads_without_campaigns() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['crmkit_campaigns'] = None; "
        "from crmkit_loyalty.earning.criteria import CRITERIA; print(CRITERIA[0].name)"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "loyalty.member"
