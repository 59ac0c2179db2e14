"""Opportunities: creating, editing, winning (a prospect converts) and losing; concurrent edits."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline import service

from crmkit import ConflictError, Crm, ValidationError, get_party

if TYPE_CHECKING:
    from conftest import PartyMaker, SalesTeam


def create(crm: Crm, team: SalesTeam, **data: Any) -> service.Opportunity:
    data.setdefault("title", "50 forklifts")
    with crm.transaction(team.seller) as tx:
        return service.create_opportunity(tx, data)


def test_new_opportunity_enters_the_first_stage_of_the_default_pipeline(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    party = new_party()
    opp = create(
        crm,
        team,
        party_id=party,
        amount="125000.50",
        currency="eur",
        products=["FL-200"],
        contacts=[{"name": "Eva Weiss", "role": "decision maker"}],
        milestones=[{"on": "2027-02-01", "label": "Budget approved"}],
        source="trade fair",
    )
    with crm.read() as conn:
        stored = service.get_opportunity(conn, opp.id)
    assert stored == opp
    assert (stored.pipeline, stored.stage, stored.status) == ("sales", "initiation", "open")
    assert stored.probability == 10
    assert stored.amount == Decimal("125000.50") and stored.currency == "EUR"
    # The owner is who created it; team and territory come from the owner and the party.
    assert (stored.owner_id, stored.team, stored.territory) == (
        team.seller.user_id,
        "north",
        "DE-10117",
    )
    assert stored.contacts == [{"name": "Eva Weiss", "role": "decision maker"}]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"expected_close": "31.12.2026"}, "expected_close"),
        ({"probability": 101}, "probability"),
        ({"stage": "nowhere"}, "stage"),
        ({"pipeline": "nowhere"}, "pipeline"),
        ({"party_id": 999_999}, "party_id"),
        ({"contacts": [{"name": "Eva"}]}, "contacts[0].role"),
        ({"milestones": [{"on": "soon", "label": "x"}]}, "milestones[0].on"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_opportunity_names_the_field_and_stores_nothing(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, data: dict[str, Any], field: str
) -> None:
    party = new_party()
    with pytest.raises(ValidationError) as raised:
        create(crm, team, **{"party_id": party, **data})
    assert raised.value.field == field
    with crm.read() as conn:
        assert service.opportunities_of_party(conn, party) == []


def test_winning_the_first_opportunity_converts_the_prospect(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    party = new_party("prospect")
    opp = create(crm, team, party_id=party, amount="1000")
    with crm.transaction(team.seller) as tx:
        won = service.mark_won(tx, opp.id)
    assert (won.status, won.probability) == ("won", 100)
    assert won.closed_at is not None
    with crm.read() as conn:
        assert get_party(conn, party).role == "customer"
    # A second win for the now-customer changes nothing about the party.
    second = create(crm, team, party_id=party)
    with crm.transaction(team.seller) as tx:
        service.mark_won(tx, second.id)
    with crm.read() as conn:
        assert get_party(conn, party).role == "customer"


def test_losing_needs_a_reason_and_keeps_the_prospect(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    party = new_party("prospect")
    opp = create(crm, team, party_id=party)
    with pytest.raises(ValidationError) as raised, crm.transaction(team.seller) as tx:
        service.mark_lost(tx, opp.id, " ")
    assert raised.value.field == "lost_reason"
    with crm.transaction(team.seller) as tx:
        lost = service.mark_lost(tx, opp.id, "Price too high")
    assert (lost.status, lost.probability, lost.lost_reason) == ("lost", 0, "Price too high")
    with crm.read() as conn:
        assert get_party(conn, party).role == "prospect"
    with pytest.raises(ConflictError), crm.transaction(team.seller) as tx:
        service.mark_won(tx, opp.id)


def test_of_two_editors_of_one_version_the_second_gets_a_conflict(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    opp = create(crm, team, party_id=new_party(), amount="100")
    with crm.transaction(team.seller) as tx:
        first = service.update_opportunity(tx, opp.id, {"amount": "200"}, opp.version)
    assert (first.amount, first.version) == (Decimal("200.00"), opp.version + 1)
    # A second editor still holding the first version loses.
    with pytest.raises(ConflictError), crm.transaction(team.manager) as tx:
        service.update_opportunity(tx, opp.id, {"amount": "300"}, opp.version)
    with pytest.raises(ConflictError), crm.transaction(team.manager) as tx:
        service.change_stage(tx, opp.id, "identification", opp.version)
    with crm.read() as conn:
        stored = service.get_opportunity(conn, opp.id)
    assert (stored.amount, stored.stage, stored.version) == (Decimal("200.00"), "initiation", 2)


def test_an_edit_that_changes_nothing_keeps_the_version(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    opp = create(crm, team, party_id=new_party(), amount="100", products=["forklift"])
    same = {
        "title": "50 forklifts",
        "amount": "100.00",
        "products": ["forklift"],
        "stage": opp.stage,
    }

    with crm.transaction(team.seller) as tx:
        answers = [
            service.update_opportunity(tx, opp.id, {}, opp.version),
            service.update_opportunity(tx, opp.id, same, opp.version),
            service.change_stage(tx, opp.id, opp.stage, opp.version),
        ]

    with crm.read() as conn:
        assert service.get_opportunity(conn, opp.id) == opp
    assert answers == [opp, opp, opp]


def test_an_edit_that_changes_nothing_from_a_stale_version_is_a_conflict(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    opp = create(crm, team, party_id=new_party())
    with crm.transaction(team.seller) as tx:
        service.update_opportunity(tx, opp.id, {"title": "60 forklifts"}, opp.version)

    with pytest.raises(ConflictError), crm.transaction(team.manager) as tx:
        service.update_opportunity(tx, opp.id, {"title": "60 forklifts"}, opp.version)
    with pytest.raises(ConflictError), crm.transaction(team.manager) as tx:
        service.change_stage(tx, opp.id, opp.stage, opp.version)

    with crm.read() as conn:
        assert service.get_opportunity(conn, opp.id).version == opp.version + 1
