"""The formats part of the demo: the document log of the demo's ADF leads, readable as ADF."""

from __future__ import annotations

from crmkit_dms.formats.adf import parse_adf
from crmkit_dms.formats.tables import document, document_lead
from crmkit_dms.routing.tables import assignment
from sqlalchemy import select

from crmkit import utcnow
from crmkit.testing import seed_demo_data

from .conftest import CrmMaker


def test_the_demo_logs_the_documents_its_adf_leads_came_in(make_dms: CrmMaker) -> None:
    crm = make_dms()
    seed_demo_data(crm, customers=20, prospects=60, now=utcnow())
    with crm.read() as conn:
        documents = list(conn.execute(select(document)))
        linked = dict(
            conn.execute(select(document_lead.c.party_id, document_lead.c.document_id)).all()
        )
        from_adf = set(
            conn.execute(
                select(assignment.c.party_id).where(assignment.c.source == "adf")
            ).scalars()
        )
    assert documents and set(linked) <= from_adf
    for row in documents:
        leads = parse_adf(row.body.encode())
        assert len(leads) == row.taken + row.refused
        assert [lead.refused is not None for lead in leads].count(True) == row.refused
        taken = [r["party_id"] for r in row.results if "party_id" in r]
        assert all(linked[party_id] == row.id for party_id in taken)
