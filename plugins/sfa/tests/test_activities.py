"""Activities: planning, completing (onto the party's timeline), cancelling; the timeline's rendering."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline import activities, service

from crmkit import ConflictError, Crm, ValidationError, timeline
from crmkit.testing import http_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import PartyMaker, SalesTeam

    from crmkit import Actor


def plan(crm: Crm, actor: Actor, **data: Any) -> activities.Activity:
    with crm.transaction(actor) as tx:
        return activities.create_activity(tx, data)


def test_every_kind_of_completed_activity_lands_on_the_timeline(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    party = new_party()
    with crm.transaction(team.seller) as tx:
        opp = service.create_opportunity(tx, {"party_id": party, "title": "Racking"})
    start = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    kinds = {
        "call": {},
        "meeting": {"starts_at": start.isoformat(), "ends_at": "2026-05-04T12:00:00+02:00"},
        "task": {"due_at": "2026-05-05T17:00:00Z"},
        "visit": {"location": "Plant 2"},
        "note": {"details": "Prefers email"},
    }
    planned = [
        plan(
            crm,
            team.seller,
            party_id=party,
            opportunity_id=opp.id,
            kind=kind,
            subject=f"{kind} with Acme",
            **extra,
        )
        for kind, extra in kinds.items()
    ]
    assert all(a.status == "planned" and a.owner_id == team.seller.user_id for a in planned)
    with crm.read() as conn:
        assert timeline(conn, party).items == []
    for item in planned:
        with crm.transaction(team.seller) as tx:
            done = activities.complete_activity(tx, item.id, "reached", item.version)
        assert (done.status, done.outcome, done.version) == ("done", "reached", 2)
        assert done.completed_at is not None and done.interaction_id is not None
    with crm.read() as conn:
        entries = timeline(conn, party).items
    assert sorted(e.channel for e in entries) == ["meeting", "note", "phone", "task", "visit"]
    assert {e.source for e in entries} == {"sfa"}
    meeting = next(e for e in entries if e.channel == "meeting")
    # A past meeting is on the timeline when it happened, not when it was ticked off.
    assert meeting.occurred_at == start
    assert meeting.subject == "meeting with Acme"
    assert {r.kind for r in meeting.refs} == {"sfa.activity", "sfa.opportunity"}


def test_cancelled_activity_stays_off_the_timeline_and_cannot_be_completed(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    party = new_party()
    task = plan(crm, team.seller, party_id=party, kind="task", subject="Send brochure")
    with crm.transaction(team.seller) as tx:
        assert activities.cancel_activity(tx, task.id).status == "cancelled"
    with pytest.raises(ConflictError), crm.transaction(team.seller) as tx:
        activities.complete_activity(tx, task.id)
    with crm.read() as conn:
        assert timeline(conn, party).items == []


def test_completing_from_a_stale_version_is_a_conflict(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    task = plan(crm, team.seller, party_id=new_party(), kind="call", subject="Call back")
    with pytest.raises(ConflictError), crm.transaction(team.seller) as tx:
        activities.complete_activity(tx, task.id, None, task.version + 1)
    with crm.read() as conn:
        assert activities.get_activity(conn, task.id).status == "planned"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "lunch"}, "kind"),
        ({"subject": " "}, "subject"),
        ({"kind": "meeting"}, "starts_at"),
        ({"due_at": "2026-05-04T09:30:00"}, "due_at"),
        ({"starts_at": "2026-05-04T10:00:00Z", "ends_at": "2026-05-04T09:00:00Z"}, "ends_at"),
        ({"party_id": 999_999}, "party_id"),
        ({"opportunity_id": 999_999}, "opportunity_id"),
        ({"mood": "good"}, "mood"),
    ],
)
def test_invalid_activity_names_the_field(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, data: dict[str, Any], field: str
) -> None:
    base = {"party_id": new_party(), "kind": "call", "subject": "Call"}
    with pytest.raises(ValidationError) as raised:
        plan(crm, team.seller, **{**base, **data})
    assert raised.value.field == field


def test_opportunity_of_another_party_is_refused(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    mine, other = new_party(), new_party(organisation_name="Other AG")
    with crm.transaction(team.seller) as tx:
        opp = service.create_opportunity(tx, {"party_id": other, "title": "Cranes"})
    with pytest.raises(ValidationError) as raised:
        plan(crm, team.seller, party_id=mine, opportunity_id=opp.id, kind="call", subject="x")
    assert raised.value.field == "opportunity_id"


def test_party_page_renders_completed_activities_with_a_link_to_the_opportunity(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with crm.transaction(team.seller) as tx:
        opp = service.create_opportunity(tx, {"party_id": party, "title": "Racking"})
    call = plan(
        crm,
        team.seller,
        party_id=party,
        opportunity_id=opp.id,
        kind="call",
        subject="Budget <check>",
    )
    with crm.transaction(team.seller) as tx:
        activities.complete_activity(tx, call.id, "reached")
    with http_client(crm_as(team.seller)) as client:
        page = client.get(f"/parties/{party}")
    assert page.status_code == 200
    assert "<strong>Call</strong> Budget &lt;check&gt;" in page.text
    assert f'href="/p/sfa/opportunities/{opp.id}/page"' in page.text
