"""The sync log in the API, the pages and on the party; the command; the job; privacy."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_erp_sap.partners.jobs import pull_due_systems
from crmkit_erp_sap.partners.sync import sync
from crmkit_erp_sap.partners.tables import partner, sync_run
from crmkit_erp_sap.testing import partner_number
from sqlalchemy import select, update

from crmkit import (
    SYSTEM,
    Crm,
    erase_party,
    export_party,
    find_by_external_id,
    merge_parties,
    party_table,
)
from crmkit.testing import add_party, add_user, invoke


@pytest.fixture
def crm(make_erp_sap: Any, sap_partners: Any) -> Crm:
    """The CRM of these tests pulls from the loopback server, 15 partners a page
    (``client_as`` and ``staff`` use it)."""
    system = sap_partners.system_settings(page_size=15)
    return make_erp_sap({"connection": {"systems": {"S4P": system}}})


def wait_for_end(client: Any, run_id: int) -> dict[str, Any]:
    for _ in range(600):
        found = client.get(f"/p/erp_sap/sync-runs/{run_id}").json()
        if found["run"]["status"] != "running":
            return found
        import time

        time.sleep(0.05)  # the run goes on in a background thread
    raise AssertionError("the run did not end")


def test_runs_and_their_failures_in_the_api(
    crm: Crm, sap_partners: Any, staff: Any, client_as: Any
) -> None:
    sap_partners.partners.malformed.update({7: "email"})
    run = sync(crm, "S4P")
    manager = client_as(staff.manager)
    listed = manager.get("/p/erp_sap/sync-runs")
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert (item["id"], item["status"], item["created"], item["failed"]) == (
        run.id,
        "finished",
        49,
        1,
    )
    one = manager.get(f"/p/erp_sap/sync-runs/{run.id}").json()
    [failure] = one["failures"]["items"]
    assert failure["business_partner"] == partner_number(7)
    assert failure["field"].startswith("emails")
    assert manager.get("/p/erp_sap/sync-runs/999").status_code == 404
    bad = manager.get("/p/erp_sap/sync-runs?limit=0")
    assert (bad.status_code, bad.json()["field"]) == (422, "limit")
    assert client_as(staff.outsider).get("/p/erp_sap/sync-runs").status_code == 403


def test_only_an_admin_starts_a_run_and_it_runs_to_the_end(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    assert client_as(staff.manager).post("/p/erp_sap/sync-runs", json={}).status_code == 403
    admin = client_as(staff.admin)
    bad = admin.post("/p/erp_sap/sync-runs", json={"full": "yes"})
    assert (bad.status_code, bad.json()["field"]) == (422, "full")
    unknown = admin.post("/p/erp_sap/sync-runs", json={"system": "QAS"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "system")
    with crm.engine.connect() as conn:
        assert conn.execute(select(sync_run)).all() == []
    started = admin.post("/p/erp_sap/sync-runs", json={"system": "S4P"})
    assert started.status_code == 202
    assert started.json()["trigger"] == "api"
    ended = wait_for_end(admin, started.json()["id"])
    assert (ended["run"]["status"], ended["run"]["created"]) == ("finished", 50)


def test_the_pages_list_runs_and_show_one_with_its_failures(
    crm: Crm, sap_partners: Any, staff: Any, client_as: Any
) -> None:
    sap_partners.partners.malformed.update({9: "country"})
    run = sync(crm, "S4P")
    manager = client_as(staff.manager)
    listing = manager.get("/p/erp_sap/page/sync-runs")
    assert listing.status_code == 200
    assert f'href="/p/erp_sap/page/sync-runs/{run.id}"' in listing.text
    assert "Pull partners now" not in listing.text  # the manager may not start one
    shown = manager.get(f"/p/erp_sap/page/sync-runs/{run.id}")
    assert partner_number(9) in shown.text and "addresses[0].country" in shown.text
    assert "Pull partners now" in client_as(staff.admin).get("/p/erp_sap/page/sync-runs").text


def test_the_party_page_shows_its_sap_partner_number(
    crm: Crm, sap_partners: Any, staff: Any, client_as: Any
) -> None:
    sync(crm, "S4P")
    with crm.engine.connect() as conn:
        party = find_by_external_id(conn, "sap.s4p", partner_number(2))
    assert party is not None
    page = client_as(staff.admin).get(f"/parties/{party.id}")
    assert page.status_code == 200
    assert f"business partner <strong>{partner_number(2)}</strong>" in page.text
    agent_page = client_as(staff.agent).get(f"/parties/{party.id}")
    assert partner_number(2) + "</strong>" not in agent_page.text


def test_the_command_pulls_and_says_what_it_did(crm: Crm) -> None:
    done = invoke(crm, "erp_sap", "sync", "--system", "S4P")
    assert done.exit_code == 0, done.output
    assert "finished: created 50, updated 0, unchanged 0, failed 0" in done.output
    again = invoke(crm, "erp_sap", "sync", "--full")
    assert "unchanged 50" in again.output


def test_the_command_without_a_system_says_so(make_erp_sap: Any) -> None:
    result = invoke(make_erp_sap(), "erp_sap", "sync")
    assert result.exit_code != 0
    assert "no SAP system is configured" in result.output


def test_the_job_pulls_only_when_set_and_due(make_erp_sap: Any, sap_partners: Any) -> None:
    system = {"connection": {"systems": {"S4P": sap_partners.system_settings()}}}
    off = make_erp_sap(system)
    pull_due_systems(off)
    with off.engine.connect() as conn:
        assert conn.execute(select(sync_run)).all() == []
    on = make_erp_sap({**system, "partners": {"sync_every_minutes": 30}})
    pull_due_systems(on)
    pull_due_systems(on)  # not due again yet
    with on.engine.connect() as conn:
        runs = conn.execute(select(sync_run.c.trigger, sync_run.c.created)).all()
    assert [tuple(r) for r in runs] == [("job", 50)]


def test_merge_export_and_erasure_keep_the_partner_rows_right(crm: Crm) -> None:
    sync(crm, "S4P")
    with crm.engine.connect() as conn:
        found = find_by_external_id(conn, "sap.s4p", partner_number(0))
    assert found is not None and found.id is not None
    survivor = add_party(crm, "customer", last_name="Keeper")
    with crm.transaction(SYSTEM) as tx:
        merge_parties(tx, survivor, found.id)
    with crm.engine.connect() as conn:
        owner = conn.execute(
            select(partner.c.party_id).where(partner.c.business_partner == partner_number(0))
        ).scalar_one()
        exported = export_party(conn, crm.host, survivor)["erp_sap"]["business_partners"]
    assert owner == survivor
    assert [(e["system"], e["business_partner"]) for e in exported] == [("S4P", partner_number(0))]
    with crm.transaction(SYSTEM) as tx:
        erase_party(tx, survivor)
    with crm.engine.connect() as conn:
        row = conn.execute(
            select(partner.c.party_id).where(partner.c.business_partner == partner_number(0))
        ).one()
    assert row.party_id is None
    # The next full pull does not bring the erased party back.
    again = sync(crm, "S4P", full=True)
    assert again.created == 0
    with crm.engine.connect() as conn:
        assert find_by_external_id(conn, "sap.s4p", partner_number(0)) is None


def test_the_demo_links_customers_as_partners_with_a_run_log(make_erp_sap: Any) -> None:
    from crmkit import utcnow
    from crmkit.testing import seed_demo_data

    demo = make_erp_sap()
    seed_demo_data(demo, customers=30, prospects=5, now=utcnow().replace(microsecond=0))
    with demo.engine.connect() as conn:
        rows = conn.execute(select(partner.c.business_partner, partner.c.party_id)).all()
        runs = conn.execute(
            select(sync_run.c.kind, sync_run.c.failed).order_by(sync_run.c.id)
        ).all()
        linked = find_by_external_id(conn, "sap.s4p", rows[0].business_partner)
    assert rows and linked is not None and linked.id == rows[0].party_id
    assert runs[0].kind == "full" and sum(r.failed for r in runs) == 2


def test_a_failure_of_a_partner_whose_party_the_reader_may_not_see_hides_its_data(
    crm: Crm, sap_partners: Any, staff: Any, client_as: Any
) -> None:
    sync(crm, "S4P")
    manager = add_user(crm, "mo", "manager", team="east")  # of no territory
    with crm.engine.connect() as conn:
        party = find_by_external_id(conn, "sap.s4p", partner_number(7))
    assert party is not None
    with crm.engine.begin() as conn:  # the party belongs to a sales rep of another team
        conn.execute(
            update(party_table)
            .where(party_table.c.id == party.id)
            .values(owner_id=staff.outsider.user_id)
        )
    sap_partners.partners.malformed.update({7: "email"})
    run = sync(crm, "S4P", full=True)

    assert client_as(manager).get(f"/api/v1/parties/{party.id}").status_code == 404
    [hidden] = client_as(manager).get(f"/p/erp_sap/sync-runs/{run.id}").json()["failures"]["items"]
    assert hidden["business_partner"] is None
    assert "not-an-email" not in hidden["reason"] and "may not see" in hidden["reason"]
    assert hidden["field"].startswith("emails")
    page = client_as(manager).get(f"/p/erp_sap/page/sync-runs/{run.id}").text
    assert partner_number(7) not in page
    [shown] = (
        client_as(staff.admin).get(f"/p/erp_sap/sync-runs/{run.id}").json()["failures"]["items"]
    )
    assert shown["business_partner"] == partner_number(7)


def test_an_unset_secret_fails_the_run_with_the_reason(
    make_erp_sap: Any, sap_partners: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("ERP_TEST_UNSET_SECRET", raising=False)
    system = sap_partners.system_settings()
    system["auth"] = {**system.get("auth", {}), "password": "env:ERP_TEST_UNSET_SECRET"}
    crm = make_erp_sap({"connection": {"systems": {"S4P": system}}})

    result = invoke(crm, "erp_sap", "sync")

    assert result.exit_code != 0
    assert "ERP_TEST_UNSET_SECRET is not set" in result.output
    with crm.engine.connect() as conn:
        [run] = conn.execute(select(sync_run.c.status, sync_run.c.error)).all()
    assert run.status == "failed" and "ERP_TEST_UNSET_SECRET is not set" in (run.error or "")
