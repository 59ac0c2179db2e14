"""Routing a lead: region, brand, capacity and performance choose the partner; a lead no
partner takes waits in the fallback queue; partners accept, decline and report outcomes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from crmkit_dms.partners.tables import partner
from crmkit_dms.routing.records import get_assignment, list_assignments, load
from crmkit_dms.routing.service import accept, decline, report_outcome
from crmkit_dms.routing.tables import assignment
from sqlalchemy import select, update

from crmkit import (
    SYSTEM,
    ConflictError,
    Crm,
    Event,
    NotFound,
    PermissionDenied,
    ValidationError,
    hookimpl,
    party_table,
    timeline,
    utcnow,
)
from crmkit.testing import register_plugin


class Listener:
    def __init__(self) -> None:
        self.told: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        if event.type.startswith("dms.lead_"):
            self.told.append((event.type, dict(event.payload)))


@pytest.fixture
def listener() -> Listener:
    return Listener()


@pytest.fixture
def crm(make_dms: Any, listener: Listener) -> Crm:
    return make_dms(plugins=(register_plugin(listener, name="listener"),))


def as_(crm: Crm, actor: Any, work: Any) -> Any:
    with crm.transaction(actor) as tx:
        return work(tx)


def test_a_lead_goes_to_a_partner_covering_its_region_and_brand(
    crm: Crm, network: Any, route: Any, listener: Listener
) -> None:
    munich = route(postcode="80331")
    assert (munich.partner_id, munich.state, munich.attempt) == (network.bayern, "offered", 1)
    assert munich.accept_by == munich.offered_at + timedelta(hours=4)
    audi = route(brand="Audi")
    assert audi.partner_id == network.spandau  # mitte sells no Audi
    assert [kind for kind, _ in listener.told] == ["dms.lead_routed", "dms.lead_routed"]
    assert listener.told[0][1]["partner_id"] == network.bayern


def test_a_lead_no_partner_covers_waits_in_the_fallback_queue(
    crm: Crm, network: Any, route: Any
) -> None:
    hamburg = route(postcode="20095")
    skoda = route(brand="Skoda")
    nowhere = route(postcode=None, country=None)
    for queued in (hamburg, skoda, nowhere):
        assert (queued.partner_id, queued.state, queued.accept_by) == (None, "unrouted", None)
    assert hamburg.reason == "no partner covers the lead's region and brand"
    assert nowhere.reason == "the lead names no country or postcode"
    with crm.read() as conn:
        from crmkit import Transaction

        page = list_assignments(Transaction(conn=conn, hooks=crm.host, app=crm), queued=True)
    assert {a.id for a in page.items} == {hamburg.id, skoda.id, nowhere.id}


def test_a_partner_without_capacity_left_today_is_passed_over(
    crm: Crm, network: Any, route: Any
) -> None:
    first = [route().partner_id for _ in range(3)]
    # mitte's capacity left weighs in its score before it runs out.
    assert sorted(first) == [network.mitte, network.spandau, network.spandau]
    with crm.transaction() as tx:
        # As every change of a partner does, it raises the version (routing keeps the network
        # while no version moves).
        tx.conn.execute(
            update(partner)
            .where(partner.c.id == network.spandau)
            .values(active=False, version=partner.c.version + 1)
        )
    assert route().partner_id == network.mitte
    full = route()
    assert (full.state, full.reason) == (
        "unrouted",
        "no partner covering the lead has capacity left today",
    )


def test_the_partner_that_converts_better_gets_the_lead(
    crm: Crm, network: Any, route: Any, offer: Any, new_party: Any
) -> None:
    now = utcnow()
    for _ in range(4):
        offer(new_party("prospect"), network.spandau, "sold", accepted_at=now, accept_seconds=60)
        offer(new_party("prospect"), network.mitte, "lost", accepted_at=now, accept_seconds=60)
    assert route().partner_id == network.spandau


def test_routing_a_lead_it_already_has_leaves_it_with_its_partner(
    crm: Crm, network: Any, route: Any, new_party: Any
) -> None:
    lead = new_party("prospect")
    first = route(lead)
    again = route(lead)
    assert again == first


def test_staff_reroute_by_hand_to_a_partner_of_their_choice(
    crm: Crm, network: Any, route: Any, new_party: Any
) -> None:
    lead = new_party("prospect")
    first = route(lead)
    moved = route(lead, actor=network.router, partner_id=network.bayern, reroute=True)
    assert (moved.partner_id, moved.previous_id, moved.attempt) == (network.bayern, first.id, 1)
    with crm.read() as conn:
        closed = load(conn, first.id)
    assert (closed.state, closed.reason) == ("offered", "rerouted")
    assert closed.closed_at is not None


def test_routing_needs_the_route_permission_and_a_party_one_sees(
    crm: Crm, network: Any, route: Any, new_party: Any
) -> None:
    with pytest.raises(PermissionDenied):
        route(actor=network.seller)
    with pytest.raises(NotFound):
        route(10**9, actor=network.router)


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"source": "fax"}, "source"),
        ({"country": "Deutschland"}, "country"),
        ({"country": "1"}, "country"),
        ({"brand": "V" * 61}, "brand"),
        ({"vehicle": ["golf"]}, "vehicle"),
        ({"vehicle": {"notes": "x" * 5000}}, "vehicle"),
        ({"partner_id": 10**6}, "partner_id"),
    ],
)
def test_bad_routing_facts_are_refused_naming_the_field(
    crm: Crm, network: Any, route: Any, new_party: Any, facts: dict[str, Any], field: str
) -> None:
    lead = new_party("prospect")
    with pytest.raises(ValidationError) as refused:
        route(lead, **facts)
    assert refused.value.field == field
    with crm.read() as conn:
        assert conn.execute(assignment.select()).first() is None


def test_the_assigned_partner_accepts_and_no_other_partner_can(
    crm: Crm, network: Any, route: Any, listener: Listener
) -> None:
    offered = route(postcode="80331")
    with pytest.raises(NotFound):
        as_(crm, network.mia, lambda tx: accept(tx, offered.id))
    with pytest.raises(NotFound):
        as_(crm, network.mia, lambda tx: get_assignment(tx, offered.id))
    with pytest.raises(PermissionDenied):
        as_(crm, network.seller, lambda tx: accept(tx, offered.id))
    accepted = as_(crm, network.bea, lambda tx: accept(tx, offered.id))
    assert (accepted.state, accepted.version) == ("accepted", 2)
    assert accepted.accepted_at is not None
    with pytest.raises(ConflictError):
        as_(crm, network.bea, lambda tx: accept(tx, offered.id))
    assert listener.told[-1][0] == "dms.lead_accepted"


def test_an_offer_past_its_deadline_cannot_be_accepted(crm: Crm, network: Any, route: Any) -> None:
    offered = route(postcode="80331")
    with crm.transaction() as tx:
        tx.conn.execute(
            update(assignment)
            .where(assignment.c.id == offered.id)
            .values(accept_by=utcnow() - timedelta(minutes=1))
        )
    with pytest.raises(ConflictError, match="deadline"):
        as_(crm, network.router, lambda tx: accept(tx, offered.id))
    # The partner no longer sees an offer past its deadline at all.
    with pytest.raises(NotFound):
        as_(crm, network.bea, lambda tx: accept(tx, offered.id))


def test_a_declined_lead_goes_to_the_next_partner_then_to_the_fallback_queue(
    crm: Crm, network: Any, route: Any, listener: Listener
) -> None:
    first = route()
    with pytest.raises(ValidationError) as refused:
        as_(crm, SYSTEM, lambda tx: decline(tx, first.id, "  "))
    assert refused.value.field == "reason"
    declined = as_(crm, SYSTEM, lambda tx: decline(tx, first.id, "no stock"))
    assert (declined.state, declined.reason) == ("declined", "no stock")
    with crm.read() as conn:
        from crmkit import Transaction

        tx = Transaction(conn=conn, hooks=crm.host, app=crm)
        second = list_assignments(tx, party_id=first.party_id).items[0]
    assert second.partner_id not in (None, first.partner_id)
    assert (second.attempt, second.previous_id) == (2, first.id)
    as_(crm, SYSTEM, lambda tx: decline(tx, second.id, "too far"))
    with crm.read() as conn:
        tx = Transaction(conn=conn, hooks=crm.host, app=crm)
        third = list_assignments(tx, party_id=first.party_id).items[0]
    assert (third.state, third.partner_id, third.attempt) == ("unrouted", None, 3)
    assert third.reason == "every partner covering the lead was tried"
    kinds = [kind for kind, _ in listener.told]
    assert kinds.count("dms.lead_declined") == 2


def test_outcomes_are_reported_in_order_and_a_resent_one_changes_nothing(
    crm: Crm, network: Any, route: Any, listener: Listener
) -> None:
    offered = route(postcode="80331")
    contacted = as_(crm, network.bea, lambda tx: report_outcome(tx, offered.id, "contacted"))
    # Reporting contact on an offer accepts it: the partner has taken the lead.
    assert contacted.state == "contacted"
    assert contacted.accepted_at is not None and contacted.first_contact_at is not None
    with pytest.raises(ValidationError) as refused:
        as_(crm, network.bea, lambda tx: report_outcome(tx, offered.id, "lost"))
    assert refused.value.field == "reason"
    with pytest.raises(ValidationError) as refused:
        as_(crm, network.bea, lambda tx: report_outcome(tx, offered.id, "won"))
    assert refused.value.field == "outcome"
    sold = as_(crm, network.bea, lambda tx: report_outcome(tx, offered.id, "sold"))
    assert sold.closed_at is not None and sold.first_contact_at == contacted.first_contact_at
    again = as_(crm, SYSTEM, lambda tx: report_outcome(tx, offered.id, "sold"))
    older = as_(crm, SYSTEM, lambda tx: report_outcome(tx, offered.id, "appointment"))
    assert again == sold == older
    with pytest.raises(ConflictError):
        as_(crm, SYSTEM, lambda tx: report_outcome(tx, offered.id, "lost", "bought elsewhere"))
    outcomes = [p["outcome"] for kind, p in listener.told if kind == "dms.lead_outcome"]
    assert outcomes == ["contacted", "sold"]


def test_a_lost_lead_keeps_its_reason(crm: Crm, network: Any, route: Any) -> None:
    offered = route(postcode="80331")
    as_(crm, network.bea, lambda tx: accept(tx, offered.id))
    lost = as_(
        crm, network.bea, lambda tx: report_outcome(tx, offered.id, "lost", "bought elsewhere")
    )
    assert (lost.state, lost.reason) == ("lost", "bought elsewhere")
    assert lost.closed_at is not None


def test_a_partners_first_contact_counts_as_the_prospects_first_contact(
    crm: Crm, network: Any, route: Any
) -> None:
    offered = route(postcode="80331")
    assert first_contacted_at(crm, offered.party_id) is None
    as_(crm, network.bea, lambda tx: report_outcome(tx, offered.id, "appointment"))
    as_(crm, network.bea, lambda tx: report_outcome(tx, offered.id, "sold"))
    assert first_contacted_at(crm, offered.party_id) is not None
    with crm.read() as conn:
        logged = timeline(conn, offered.party_id)
    subjects = [item.subject for item in logged.items if item.channel == "dms"]
    assert subjects == ["Autohaus Bayern reported the lead appointment"]


def first_contacted_at(crm: Crm, party_id: int) -> Any:
    with crm.read() as conn:
        return conn.execute(
            select(party_table.c.first_contacted_at).where(party_table.c.id == party_id)
        ).scalar_one()
