"""The pages of assets, dispatch and the help desk: what they show, their forms, their refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit_service.assets.tables import asset, contract
from crmkit_service.cases.service import cases_of_party, open_case
from crmkit_service.dispatch import service
from crmkit_service.dispatch.tables import dispatch, technician
from crmkit_service.dispatch.technicians import create_technician
from sqlalchemy import func, select

from crmkit import Crm, utcnow


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_the_console_finds_the_caller_and_opens_a_case_in_one_click(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party(phones=["+49 30 1234567"])
    with client_as(staff.agent) as client:
        found = client.get(
            "/p/service/console", params={"q": "030 1234567"}, follow_redirects=False
        )
        assert found.status_code == 303
        assert found.headers["location"] == f"/p/service/console/parties/{party}"
        page = client.get(found.headers["location"])
        assert page.status_code == 200 and "Ada Lovelace" in page.text
        opened = client.post(
            f"/p/service/console/parties/{party}/cases",
            data={"subject": "No hot water", "kind": "incident", "priority": "high"},
            follow_redirects=False,
        )
        assert opened.status_code == 303, opened.text
        shown = client.get(opened.headers["location"])
    assert "No hot water" in shown.text and "opened" in shown.text
    with crm.read() as conn:
        [case] = cases_of_party(conn, staff.agent, party, host=crm.host)
    assert (case.subject, case.channel, case.priority) == ("No hot water", "phone", "high")


def test_the_console_refuses_a_case_without_a_subject_and_stores_none(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        refused = client.post(
            f"/p/service/console/parties/{party}/cases", data={"kind": "incident"}
        )
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    with crm.read() as conn:
        assert cases_of_party(conn, staff.agent, party, host=crm.host) == []


def test_the_console_shows_no_party_the_agent_may_not_see(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    prospect = new_party("prospect", phones=["+49 40 7654321"])
    with client_as(staff.agent) as client:
        searched = client.get("/p/service/console", params={"q": "+49 40 7654321"})
        assert searched.status_code == 200 and "Nobody you may see" in searched.text
        assert client.get(f"/p/service/console/parties/{prospect}").status_code == 404
        opened = client.post(f"/p/service/console/parties/{prospect}/cases", data={"subject": "x"})
        assert opened.status_code == 404
        bad = client.get("/p/service/console", params={"q": "call me"})
    assert bad.status_code == 422


def test_a_form_field_no_database_stores_shows_the_form_again_with_the_field_marked(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    with client_as(staff.manager) as client:
        refused = client.post(
            f"/p/service/parties/{party}/assets/page",
            content="product=Heat%20pump&serial_number=HP%0077",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert refused.status_code == 422 and "text/html" in refused.headers["content-type"]
    assert 'aria-describedby="serial_number-error"' in refused.text and "NUL" in refused.text
    assert 'value="Heat pump"' in refused.text  # what else was typed is kept
    assert count(crm, asset) == 0


def test_assets_and_contracts_are_added_and_changed_on_the_party_page(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    page = f"/p/service/parties/{party}/assets/page"
    with client_as(staff.manager) as client:
        added = client.post(
            page,
            data={"product": "Heat pump", "serial_number": "HP-77", "warranty_end": "2099-01-01"},
        )
        assert added.status_code == 200 and "HP-77" in added.text
        refused = client.post(page, data={"product": "Car", "vin": "ABC"})
        assert refused.status_code == 422 and "17 characters" in refused.text
        with crm.read() as conn:
            asset_id = conn.execute(select(asset.c.id)).scalar_one()
        contract_added = client.post(
            f"/p/service/parties/{party}/contracts/page",
            data={
                "reference": "SC-5",
                "asset_id": str(asset_id),
                "starts_on": "2026-01-01",
                "ends_on": "2099-12-31",
                "visits_included": "3",
            },
        )
        assert contract_added.status_code == 200 and "0 of 3" in contract_added.text
        edit = client.get(f"/p/service/assets/{asset_id}/edit")
        assert edit.status_code == 200 and "HP-77" in edit.text
        stale = client.post(
            f"/p/service/assets/{asset_id}/edit",
            data={"product": "Heat pump", "serial_number": "HP-77", "version": "7"},
        )
        assert stale.status_code == 409
    assert (count(crm, asset), count(crm, contract)) == (1, 1)
    with client_as(staff.agent) as client:
        shown = client.get(page)
        assert shown.status_code == 200 and "Add a contract" not in shown.text
        assert client.post(f"/p/service/parties/{party}/contracts/page", data={}).status_code == 403


def test_a_visit_is_requested_and_assigned_from_its_pages(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    with crm.transaction(staff.agent) as tx:
        case = open_case(tx, {"party_id": party, "subject": "Boiler"})
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    with client_as(staff.manager) as client:
        added = client.post(
            "/p/service/technicians/page",
            data={
                "name": "Bert Berlin",
                "kind": "technician",
                "territories": "DE-10, DE-14",
                "time_zone": "UTC",
                **{f"starts_{d}": "07:00" for d in range(1, 8)},
                **{f"ends_{d}": "19:00" for d in range(1, 8)},
            },
        )
        assert added.status_code == 200 and "DE-10, DE-14" in added.text
        form = client.get(f"/p/service/cases/{case.id}/dispatches/new")
        assert form.status_code == 200 and "10117" in form.text
        created = client.post(
            f"/p/service/cases/{case.id}/dispatches/new",
            data={
                "scheduled_start": f"{tomorrow}T09:00",
                "urgency": "high",
                "postcode": "10117",
                "country": "DE",
                "city": "Berlin",
            },
            follow_redirects=False,
        )
        assert created.status_code == 303, created.text
        visit_page = client.get(created.headers["location"])
        assert "Bert Berlin" in visit_page.text and "Send" in visit_page.text
        with crm.read() as conn:
            visit_id, version = conn.execute(select(dispatch.c.id, dispatch.c.version)).one()
            technician_id = conn.execute(select(technician.c.id)).scalar_one()
        assigned = client.post(
            f"/p/service/dispatches/{visit_id}/assign-form",
            data={"technician_id": str(technician_id), "version": str(version)},
        )
        assert assigned.status_code == 200 and "dispatched" in assigned.text
        board = client.get("/p/service/dispatches/board", params={"region": "DE-10"})
        assert board.status_code == 200 and "Ada Lovelace" in board.text
        elsewhere = client.get("/p/service/dispatches/board", params={"region": "FR"})
        assert "Ada Lovelace" not in elsewhere.text


def test_a_refused_assignment_shows_the_reason_and_a_hidden_visit_is_not_found(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    hidden = new_party("prospect")
    with crm.transaction(staff.manager) as tx:
        case = open_case(tx, {"party_id": hidden, "subject": "Boiler"})
        far_away = create_technician(
            tx,
            {"name": "Mia Munich", "territories": ["DE-8"], "windows": []},
            default_zone="UTC",
            region="DE",
        )
        visit = service.create_dispatch(
            tx, case, {"scheduled_start": (utcnow() + timedelta(days=1)).isoformat()}
        )
    with client_as(staff.agent) as client:
        assert client.get(f"/p/service/dispatches/{visit.id}/page").status_code == 404
    with client_as(staff.manager) as client:
        refused = client.post(
            f"/p/service/dispatches/{visit.id}/assign-form",
            data={"technician_id": str(far_away.id), "version": str(visit.version)},
        )
    assert refused.status_code == 422 and "does not serve the region" in refused.text
    with crm.read() as conn:
        assert conn.execute(select(dispatch.c.status)).scalar_one() == "requested"
