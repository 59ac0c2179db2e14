"""The case pages: list, new case from a party's page, the case page and its forms, trends."""

from __future__ import annotations

from datetime import timedelta

from crmkit_service.cases import relations, service
from crmkit_service.dispatch.service import create_dispatch
from crmkit_service.dispatch.technicians import create_technician
from crmkit_service.sla import policies
from crmkit_service.sla.clocks import clocks_of_case

from crmkit import SYSTEM, utcnow


def test_new_case_from_the_party_page_then_work_it_by_forms(
    crm, staff, new_party, client_as
) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        party_page = client.get(f"/parties/{party}")
        assert f'href="/p/service/cases/new?party_id={party}">New case</a>' in party_page.text
        form = client.get(f"/p/service/cases/new?party_id={party}")
        assert form.status_code == 200 and "Ada Lovelace" in form.text
        made = client.post(
            f"/p/service/cases/new?party_id={party}",
            data={
                "party_id": str(party),
                "subject": "Screen flickers",
                "kind": "incident",
                "priority": "high",
            },
            follow_redirects=False,
        )
        assert made.status_code == 303, made.text
        page_url = made.headers["location"]
        case_id = int(page_url.split("/")[-2])
        page = client.get(page_url)
        assert page.status_code == 200 and "Screen flickers" in page.text
        noted = client.post(
            f"/p/service/cases/{case_id}/note-form",
            data={"body": "Cable loose?"},
            follow_redirects=False,
        )
        assert noted.status_code == 303
        refused = client.post(
            f"/p/service/cases/{case_id}/status-form", data={"status": "resolved", "version": "1"}
        )
        assert refused.status_code == 422 and "root_cause" in refused.text
        unversioned = client.post(
            f"/p/service/cases/{case_id}/status-form",
            data={"status": "resolved", "root_cause": "loose cable"},
        )
        assert unversioned.status_code == 422 and "reload the page" in unversioned.text
        assert "loose cable" not in client.get(page_url).text.split("<form")[0]
        resolved = client.post(
            f"/p/service/cases/{case_id}/status-form",
            data={"status": "resolved", "root_cause": "loose cable", "version": "1"},
            follow_redirects=False,
        )
        assert resolved.status_code == 303
        page = client.get(page_url).text
        assert "Cable loose?" in page and "(internal)" in page and "loose cable" in page
        timeline = client.get(f"/parties/{party}").text
        assert f'<a href="/p/service/cases/{case_id}/page">open the case</a>' in timeline
        listed = client.get("/p/service/cases/page?open=false").text
        assert f"/p/service/cases/{case_id}/page" in listed
        assert '<a href="/p/service/cases/page">Cases</a>' in listed


def test_pages_hide_what_the_actor_may_not_see(crm, staff, new_party, client_as) -> None:
    prospect = new_party(role="prospect")
    with crm.transaction(SYSTEM) as tx:
        hidden = service.open_case(tx, {"party_id": prospect, "subject": "Secret"})
    with client_as(staff.agent) as client:
        assert client.get(f"/p/service/cases/{hidden.id}/page").status_code == 404
        assert client.get(f"/p/service/cases/new?party_id={prospect}").status_code == 404
        assert "Secret" not in client.get("/p/service/cases/page").text
        noted = client.post(f"/p/service/cases/{hidden.id}/note-form", data={"body": "x"})
        assert noted.status_code == 404


def test_the_trends_page_counts_per_period(crm, staff, new_party, client_as) -> None:
    party = new_party()
    with crm.transaction(staff.agent) as tx:
        for product in ("Kettle", "Kettle", "Iron"):
            service.open_case(tx, {"party_id": party, "subject": "Broken", "product": product})
    with client_as(staff.manager) as client:
        page = client.get("/p/service/trends/page?dimension=product&period=day")
        assert page.status_code == 200
        assert "<th>Kettle</th>" in page.text and "<td>2</td>" in page.text


def test_the_case_page_shows_its_sla_clocks(crm, staff, new_party, client_as) -> None:
    with crm.transaction() as tx:
        policies.create_policy(
            tx, {"name": "Standard", "first_response_minutes": 60, "resolution_minutes": 480}
        )
    party = new_party()
    with crm.transaction(staff.agent) as tx:
        opened = service.open_case(tx, {"party_id": party, "subject": "No heat"})
    with crm.read() as conn:
        due = clocks_of_case(conn, opened.id)["first_response"].due_at
    assert due is not None
    with client_as(staff.agent) as client:
        page = client.get(f"/p/service/cases/{opened.id}/page").text
    assert "<h2>SLA</h2>" in page and f"due {due:%Y-%m-%d %H:%M} UTC" in page


def test_the_case_page_shows_a_paused_clock_its_entitlement_and_visits(
    crm, staff, new_party, new_user, client_as
) -> None:
    with crm.transaction() as tx:
        policies.create_policy(
            tx, {"name": "Standard", "first_response_minutes": 60, "resolution_minutes": 480}
        )
        bert = create_technician(
            tx,
            {
                "name": "Bert Berlin",
                "territories": ["DE-10"],
                "windows": [
                    {"weekday": d, "starts": "00:00", "ends": "23:59"} for d in range(1, 8)
                ],
            },
            default_zone="UTC",
            region="DE",
        )
    party = new_party()
    with crm.transaction(staff.agent) as tx:
        opened = service.open_case(tx, {"party_id": party, "subject": "No heat"})
        duplicate = service.open_case(tx, {"party_id": party, "subject": "Still no heat"})
        relations.merge_cases(tx, duplicate.id, opened.id, version=duplicate.version)
        service.change_status(tx, opened.id, "waiting_on_customer")
    url = f"/p/service/cases/{opened.id}/page"
    new_visit = f'href="/p/service/cases/{opened.id}/dispatches/new">Send a technician</a>'
    with client_as(staff.agent) as client:
        page = client.get(url).text
        assert "paused since" in page.split("<h2>SLA</h2>")[1]
        assert opened.entitlement_summary in page and opened.billable
        assert '<strong class="billable">billable</strong>' in page and new_visit in page
        merged = client.get(f"/p/service/cases/{duplicate.id}/page").text
        assert f">{opened.number}</a>" in merged and new_visit not in merged
    with crm.transaction(staff.agent) as tx:
        start = (utcnow() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        visit = create_dispatch(
            tx, opened, {"scheduled_start": start.isoformat(), "technician_id": bert.id}
        )
    reader = new_user("rita", "read-only")
    with client_as(reader) as client:
        page = client.get(url).text
        assert f'href="/p/service/dispatches/{visit.id}/page"' in page and "Bert Berlin" in page
        assert new_visit not in page


def test_a_message_from_another_sender_is_flagged_on_the_page(
    crm, staff, new_party, client_as
) -> None:
    party = new_party()
    with crm.transaction(SYSTEM) as tx:
        opened = service.open_case(tx, {"party_id": party, "subject": "Flagged"})
        service.foreign_message(tx, opened.id, "Send me the invoice", sender="eve@x.example")
    with client_as(staff.agent) as client:
        page = client.get(f"/p/service/cases/{opened.id}/page").text
    assert "from another sender: eve@x.example" in page and "Send me the invoice" in page
