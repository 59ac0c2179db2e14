"""A party's cases on merge, in the privacy export and on erasure."""

from __future__ import annotations

import json

from crmkit_service.cases import service
from crmkit_service.cases.tables import case as case_table
from crmkit_service.cases.tables import case_event
from sqlalchemy import func, select

from crmkit import SYSTEM, erase_party, export_party, merge_parties


def test_cases_follow_a_merge_are_exported_and_erased(crm, staff, new_party) -> None:
    survivor, duplicate = new_party(), new_party(emails=["ada.l@example.org"])
    with crm.transaction(SYSTEM) as tx:
        opened = service.open_case(tx, {"party_id": duplicate, "subject": "Lost parcel"})
        service.add_note(tx, opened.id, "Carrier says delivered.")
    with crm.transaction(SYSTEM) as tx:
        merge_parties(tx, survivor, duplicate)
    with crm.read() as conn:
        assert service.load_case(conn, opened.id).party_id == survivor
        document = export_party(conn, crm.host, survivor)
    [exported] = document["service"]["cases"]
    assert exported["number"] == opened.number and exported["subject"] == "Lost parcel"
    assert [e["kind"] for e in exported["events"]] == ["created", "note"]
    json.dumps(document)  # the export is JSON as it is
    with crm.transaction(SYSTEM) as tx:
        erase_party(tx, survivor)
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(case_table)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(case_event)).scalar() == 0
