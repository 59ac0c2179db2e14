"""Pulling business partners from the loopback SAP server: full and delta runs, the
cursor, bad rows, faults, interrupted runs."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_erp_sap.partners.cursor import read_position
from crmkit_erp_sap.partners.runs import SyncRun, get_run, list_failures
from crmkit_erp_sap.partners.sync import sync
from crmkit_erp_sap.partners.tables import partner, sync_run
from crmkit_erp_sap.testing import partner_number
from sqlalchemy import func, select, update

from crmkit import SYSTEM, Crm, find_by_external_id, party_table


def numbers(crm: Crm) -> list[str]:
    with crm.engine.connect() as conn:
        return sorted(conn.execute(select(partner.c.business_partner)).scalars())


def party_count(crm: Crm) -> int:
    with crm.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(party_table)).scalar_one()


def test_a_first_run_takes_in_every_partner_and_the_next_only_what_changed(
    pulling: Crm, sap_partners: Any
) -> None:
    first = sync(pulling, "S4P")
    assert (first.status, first.kind, first.trigger) == ("finished", "delta", "cli")
    assert (first.created, first.updated, first.unchanged, first.failed) == (50, 0, 0, 0)
    assert numbers(pulling) == [partner_number(i) for i in range(50)]
    assert party_count(pulling) == 50
    with pulling.engine.connect() as conn:
        assert read_position(conn, "S4P", "A_BusinessPartner").key == partner_number(49)
        one = find_by_external_id(conn, "sap.s4p", partner_number(3))
    expected = sap_partners.partners.partner(3, expand=frozenset({"to_BusinessPartnerAddress"}))
    assert one is not None
    assert one.display_name == expected["BusinessPartnerFullName"]

    changed = sap_partners.partners.change(10)
    second = sync(pulling, "S4P")
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 5, 0, 0)
    assert party_count(pulling) == 50
    with pulling.engine.connect() as conn:
        party = find_by_external_id(conn, "sap.s4p", partner_number(changed[0]))
    assert party is not None and party.version == 2

    third = sync(pulling, "S4P")
    assert (third.created, third.updated, third.unchanged) == (0, 0, 0)


def test_a_full_run_reads_everything_again_and_writes_nothing_unchanged(pulling: Crm) -> None:
    sync(pulling, "S4P")
    again = sync(pulling, "S4P", full=True)
    assert (again.kind, again.created, again.updated, again.unchanged) == ("full", 0, 0, 50)


def test_the_extension_field_is_mapped_to_the_custom_field(pulling: Crm, sap_partners: Any) -> None:
    sync(pulling, "S4P")
    with pulling.engine.connect() as conn:
        party = find_by_external_id(conn, "sap.s4p", partner_number(0))
    assert party is not None
    assert party.custom == {"erp_test_checked_by": "CC0000000002"}


def test_bad_rows_are_logged_with_their_reason_and_the_rest_go_on(
    pulling: Crm, sap_partners: Any
) -> None:
    sap_partners.partners.malformed.update({4: "email", 11: "country", 20: "date", 33: "key"})
    run = sync(pulling, "S4P")
    assert run.status == "finished"
    assert (run.created, run.failed) == (46, 4)
    with pulling.transaction(SYSTEM) as tx:
        failures = list_failures(tx, run.id, cursor=None, limit=50).items
    by_number = {f.business_partner: f for f in failures}
    assert (by_number[partner_number(4)].field or "").startswith("emails")
    assert (by_number[partner_number(11)].field or "").startswith("addresses[0].country")
    assert by_number[partner_number(20)].field == "LastChangeDate"
    missing_key = by_number[None]
    assert missing_key.position is not None and "no number" in missing_key.reason
    assert partner_number(4) not in numbers(pulling)
    assert partner_number(5) in numbers(pulling)

    # Fixed in SAP, a full run takes them in: the failed rows were logged, not lost.
    sap_partners.partners.malformed.clear()
    rerun = sync(pulling, "S4P", full=True)
    assert (rerun.created, rerun.unchanged, rerun.failed) == (4, 46, 0)
    assert numbers(pulling) == [partner_number(i) for i in range(50)]


def test_throttling_unavailability_and_dropped_connections_are_retried(
    pulling: Crm, sap_partners: Any
) -> None:
    sap_partners.faults.throttled = 1
    sap_partners.faults.retry_after = "0"
    sap_partners.faults.unavailable = 1
    sap_partners.faults.dropped = 1
    run = sync(pulling, "S4P")
    assert (run.status, run.created) == ("finished", 50)


def test_sap_gone_fails_the_run_and_the_next_resumes_where_it_stopped(
    pulling: Crm, sap_partners: Any
) -> None:
    calls = {"pages": 0}

    def second_page_on(request: Any) -> bool:
        if request.path != "A_BusinessPartner":
            return False
        calls["pages"] += 1
        return calls["pages"] >= 2

    sap_partners.faults.every = second_page_on
    sap_partners.faults.unavailable = 4  # more than max_retries
    failed = sync(pulling, "S4P")
    assert failed.status == "failed"
    assert "503" in (failed.error or "")
    assert failed.created == 15  # the first page was committed
    sap_partners.faults.every = None
    resumed = sync(pulling, "S4P")
    assert (resumed.status, resumed.created) == ("finished", 35)
    assert numbers(pulling) == [partner_number(i) for i in range(50)]
    assert party_count(pulling) == 50


def test_a_run_stopped_midway_is_interrupted_and_the_rerun_equals_one_clean_run(
    pulling: Crm,
) -> None:
    def stop_after_first_page(run: SyncRun) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync(pulling, "S4P", progress=stop_after_first_page)
    with pulling.engine.connect() as conn:
        [stopped] = conn.execute(select(sync_run)).all()
    assert (stopped.status, stopped.created) == ("interrupted", 15)
    rerun = sync(pulling, "S4P")
    assert rerun.created == 35
    assert party_count(pulling) == 50


def test_a_run_a_killed_process_left_running_is_marked_interrupted(pulling: Crm) -> None:
    first = sync(pulling, "S4P")
    with pulling.transaction() as tx:
        tx.conn.execute(update(sync_run).values(status="running", finished_at=None))
    sync(pulling, "S4P")
    with pulling.engine.connect() as conn:
        assert get_run(conn, first.id).status == "interrupted"


def test_next_links_that_loop_cannot_hold_the_run(pulling: Crm, sap_partners: Any) -> None:
    sap_partners.partners.endless_paging = True
    run = sync(pulling, "S4P")
    assert (run.status, run.created) == ("finished", 50)


def test_an_unknown_custom_field_in_the_mapping_is_refused_before_pulling(
    make_erp_sap: Any, sap_partners: Any
) -> None:
    from crmkit import ConfigurationError

    crm = make_erp_sap(
        {
            "connection": {"systems": {"S4P": sap_partners.system_settings()}},
            "partners": {"custom_fields": {"YY1_AddrLastCheckedBy_bus": "nowhere"}},
        }
    )
    with pytest.raises(ConfigurationError, match="nowhere"):
        sync(crm, "S4P")
    assert sap_partners.calls == []


def test_a_change_in_the_future_is_a_failed_row_and_does_not_move_the_cursor(
    pulling: Crm, sap_partners: Any
) -> None:
    sap_partners.partners.malformed.update({10: "future"})
    first = sync(pulling, "S4P")

    assert (first.status, first.created, first.failed) == ("finished", 49, 1)
    with pulling.transaction(SYSTEM) as tx:
        [failure] = list_failures(tx, first.id, cursor=None, limit=50).items
        position = read_position(tx.conn, "S4P", "A_BusinessPartner")
    assert (failure.business_partner, failure.field) == (partner_number(10), "LastChangeDate")
    assert position.key == partner_number(49)
    assert position.changed_at is not None and position.changed_at.year < 2030
    # Later changes are still pulled.
    sap_partners.partners.change(10)
    second = sync(pulling, "S4P")
    assert second.updated + second.created >= 4


def test_a_page_out_of_the_order_asked_stops_the_run_before_it_moves_the_cursor(
    pulling: Crm, sap_partners: Any
) -> None:
    sap_partners.partners.malformed.update({5: "unordered"})

    run = sync(pulling, "S4P")

    assert run.status == "failed" and "out of the order asked" in (run.error or "")
    with pulling.engine.connect() as conn:
        assert read_position(conn, "S4P", "A_BusinessPartner").key is None
