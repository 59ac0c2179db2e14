"""iCalendar: a user's meetings exported, .ics invitations imported as meetings (and updated, cancelled)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import icalendar
import pytest
from crmkit_sfa.pipeline import activities
from crmkit_sfa.pipeline.service import create_opportunity

from crmkit import Crm
from crmkit.testing import http_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import PartyMaker, SalesTeam

    from crmkit import Actor

INVITATION = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp//Mail//EN
METHOD:{method}
BEGIN:VEVENT
UID:kickoff-42@example.com
DTSTAMP:20260420T080000Z
DTSTART;TZID=Europe/Berlin:{start}
DTEND;TZID=Europe/Berlin:20260504T120000
SUMMARY:Project kick-off
LOCATION:Acme HQ\\, Berlin
DESCRIPTION:Agenda: scope\\, timeline
END:VEVENT
END:VCALENDAR
"""


def invitation(method: str = "REQUEST", start: str = "20260504T100000") -> bytes:
    return INVITATION.format(method=method, start=start).replace("\n", "\r\n").encode()


def import_as(crm: Crm, path: str, ics: bytes) -> list[dict[str, object]]:
    with http_client(crm) as client:
        response = client.post(path, content=ics, headers={"content-type": "text/calendar"})
    assert response.status_code == 201, response.text
    result: list[dict[str, object]] = response.json()
    return result


def test_invitation_becomes_a_meeting_and_updates_move_or_cancel_it(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    app = crm_as(team.seller)
    path = f"/p/sfa/activities/invitations?party_id={party}"
    [meeting] = import_as(app, path, invitation())
    assert meeting["kind"] == "meeting" and meeting["status"] == "planned"
    assert meeting["subject"] == "Project kick-off"
    assert meeting["location"] == "Acme HQ, Berlin"
    # 10:00 in Berlin (summer time) is 08:00 UTC.
    assert meeting["starts_at"] == "2026-05-04T08:00:00+00:00"
    assert meeting["ends_at"] == "2026-05-04T10:00:00+00:00"
    assert meeting["owner_id"] == team.seller.user_id
    # The organiser moves it: the same meeting, one hour later; then cancels it.
    [moved] = import_as(app, path, invitation(start="20260504T110000"))
    assert (moved["id"], moved["starts_at"]) == (meeting["id"], "2026-05-04T09:00:00+00:00")
    [cancelled] = import_as(app, path, invitation(method="CANCEL"))
    assert (cancelled["id"], cancelled["status"]) == (meeting["id"], "cancelled")


def test_a_broken_invitation_is_refused_naming_the_problem(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with http_client(crm_as(team.seller)) as client:
        garbage = client.post(
            f"/p/sfa/activities/invitations?party_id={party}",
            content=b"hello",
            headers={"content-type": "text/calendar"},
        )
        floating = client.post(
            f"/p/sfa/activities/invitations?party_id={party}",
            content=invitation().replace(b";TZID=Europe/Berlin", b""),
            headers={"content-type": "text/calendar"},
        )
        no_party = client.post(
            "/p/sfa/activities/invitations",
            content=invitation(),
            headers={"content-type": "text/calendar"},
        )
    assert garbage.status_code == 422 and garbage.json()["field"] == "body"
    assert floating.status_code == 422 and floating.json()["field"] == "dtstart"
    assert no_party.status_code == 422 and no_party.json()["field"] == "party_id"
    with crm.read() as conn:
        assert activities.activities_of_owner(conn, team.seller.user_id or 0) == []


@pytest.mark.parametrize(
    ("replace", "by", "field"),
    [
        # New Year's Eve of 9999 in New York is the year 10000 in UTC.
        (b"Europe/Berlin:20260504T100000", b"America/New_York:99991231T235959", "dtstart"),
        (b"DTEND;TZID=Europe/Berlin:20260504T120000", b"DURATION:P9999999D", "duration"),
        # Text a database cannot store, or that is no text, was stored (or replaced) before.
        (b"SUMMARY:Project kick-off", b"SUMMARY:x\x00y", "body"),
        (b"SUMMARY:Project kick-off", b"SUMMARY:x\xffy", "body"),
        # Thousands of events in one request became thousands of meetings.
        (
            b"END:VEVENT",
            b"END:VEVENT"
            + b"\r\nBEGIN:VEVENT\r\nUID:x@e\r\nDTSTART:20260504T100000Z\r\nEND:VEVENT" * 100,
            "body",
        ),
    ],
)
def test_an_invitation_beyond_the_calendar_is_refused_naming_the_problem(
    crm: Crm,
    team: SalesTeam,
    new_party: PartyMaker,
    crm_as: Callable[[Actor], Crm],
    replace: bytes,
    by: bytes,
    field: str,
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with http_client(crm_as(team.seller)) as client:
        response = client.post(
            f"/p/sfa/activities/invitations?party_id={party}",
            content=invitation().replace(replace, by),
            headers={"content-type": "text/calendar"},
        )
    assert (response.status_code, response.json()["field"]) == (422, field), response.text
    with crm.read() as conn:
        assert activities.activities_of_owner(conn, team.seller.user_id or 0) == []


def test_an_invitation_is_not_filed_with_a_party_or_deal_out_of_sight(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    theirs, mine = (
        new_party(owner_id=team.outsider.user_id),
        new_party(owner_id=team.seller.user_id),
    )
    with crm.transaction(team.outsider) as tx:
        deal = create_opportunity(tx, {"party_id": mine, "title": "Theirs"}).id
    with http_client(crm_as(team.seller)) as client:
        answers = [
            client.post(
                f"/p/sfa/activities/invitations?{query}",
                content=invitation(),
                headers={"content-type": "text/calendar"},
            )
            for query in (f"party_id={theirs}", f"party_id={mine}&opportunity_id={deal}")
        ]
    assert [(a.status_code, a.json()["field"]) for a in answers] == [
        (422, "party_id"),
        (422, "opportunity_id"),
    ]
    with crm.read() as conn:
        assert activities.activities_of_owner(conn, team.seller.user_id or 0) == []


def test_export_holds_the_users_meetings_only(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    start = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    with crm.transaction(team.seller) as tx:
        meeting = activities.create_activity(
            tx,
            {
                "party_id": party,
                "kind": "meeting",
                "subject": "Demo",
                "starts_at": start,
                "location": "Online",
            },
        )
        activities.create_activity(tx, {"party_id": party, "kind": "call", "subject": "Call"})
    with crm.transaction(team.outsider) as tx:
        activities.create_activity(
            tx, {"party_id": party, "kind": "meeting", "subject": "Not mine", "starts_at": start}
        )
    with http_client(crm_as(team.seller)) as client:
        response = client.get("/p/sfa/activities/meetings.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "Demo"
    assert str(event["uid"]) == f"activity-{meeting.id}@sfa.crmkit"
    assert event.decoded("dtstart") == start
    assert str(event["location"]) == "Online"
