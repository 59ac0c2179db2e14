"""The rollups' API and admin page: the sources and their state, a rebuild; admins only."""

from __future__ import annotations

from typing import Any

from crmkit_analytics.rollups.reading import totals
from crmkit_analytics.rollups.tables import rollup
from sqlalchemy import delete

from crmkit import Crm, utcnow

from .conftest import PartyMaker, Staff


def test_admins_list_the_sources_and_rebuild_them(
    crm: Crm, staff: Staff, new_party: PartyMaker, client_as: Any
) -> None:
    new_party("prospect", source="web")
    with crm.transaction() as tx:
        tx.conn.execute(delete(rollup))  # figures lost: the rebuild brings them back
    admin = client_as(staff.admin)
    listed = admin.get("/p/analytics/rollups/sources")
    assert listed.status_code == 200
    leads = next(s for s in listed.json() if s["name"] == "leads")
    assert leads["rebuilt_at"] is None
    assert "leads.open" in {m["name"] for m in leads["metrics"]}

    done = admin.post("/p/analytics/rollups/rebuild?source=leads")
    assert done.status_code == 200, done.text
    assert done.json()[0]["source"] == "leads" and done.json()[0]["cells"] > 0
    today = utcnow().date()
    with crm.read() as conn:
        assert totals(conn, "leads.created", today, today)[0].count == 1

    unknown = admin.post("/p/analytics/rollups/rebuild?source=nope")
    assert unknown.status_code == 404
    assert "nope" in unknown.text
    typo = admin.post("/p/analytics/rollups/rebuild?sauce=leads")
    assert typo.status_code in (400, 422) and "sauce" in typo.text


def test_others_may_neither_see_nor_rebuild(crm: Crm, staff: Staff, client_as: Any) -> None:
    manager = client_as(staff.manager)
    assert manager.get("/p/analytics/rollups/sources").status_code == 403
    assert manager.post("/p/analytics/rollups/rebuild").status_code == 403
    assert manager.get("/p/analytics/rollups/page").status_code == 403


def test_the_admin_page_shows_the_sources_with_a_rebuild_button(
    crm: Crm, staff: Staff, client_as: Any
) -> None:
    page = client_as(staff.admin).get("/p/analytics/rollups/page")
    assert page.status_code == 200
    assert "leads" in page.text and 'action="/p/analytics/rollups/page/rebuild"' in page.text
    assert "never" in page.text


def test_the_rebuild_button_rebuilds_and_comes_back(
    crm: Crm, staff: Staff, new_party: PartyMaker, client_as: Any
) -> None:
    new_party("prospect", source="web")
    with crm.transaction() as tx:
        tx.conn.execute(delete(rollup))
    admin = client_as(staff.admin)
    done = admin.post(
        "/p/analytics/rollups/page/rebuild", data={"source": "leads"}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/p/analytics/rollups/page?rebuilt=leads"
    today = utcnow().date()
    with crm.read() as conn:
        assert totals(conn, "leads.created", today, today)[0].count == 1
    shown = admin.get(done.headers["location"])
    assert "Rebuilt: leads." in shown.text
    unknown = admin.post("/p/analytics/rollups/page/rebuild", data={"source": "nope"})
    assert unknown.status_code in (404, 422)
